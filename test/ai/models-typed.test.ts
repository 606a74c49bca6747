import { describe, expect, expectTypeOf, it } from 'vitest';
import { findModel, getModel, type KnownModelId, registerModel } from '../../src/ai/models.js';
import type { Model, Provider } from '../../src/ai/types.js';

describe('getModel with catalog ids', () => {
  it('types the id by provider, so a typo does not compile', () => {
    const model = getModel('anthropic', 'claude-sonnet-4-6');
    expectTypeOf(model).toEqualTypeOf<Model>();
    expect(model.id).toBe('claude-sonnet-4-6');
    expectTypeOf<'claude-sonnet-4-6'>().toExtend<KnownModelId<'anthropic'>>();
    expectTypeOf<'gpt-6.2-sol'>().not.toExtend<KnownModelId<'anthropic'>>();
    // @ts-expect-error a typo in a catalog id is a compile error
    expect(() => getModel('anthropic', 'claude-sonet-4-6')).toThrow();
    // @ts-expect-error an id of another provider too
    expect(() => getModel('openai', 'claude-opus-5-5')).toThrow();
  });

  it('names the closest ids when the id is unknown', () => {
    const id: string = 'claude-sonet-4-6';
    const provider: Provider = 'anthropic';
    expect(() => getModel(provider, id)).toThrow(/claude-sonet-4-6.*claude-sonnet-4-6/s);
    expect(() => getModel(provider, id)).toThrow(/findModel/);
  });

  it('says so when the provider has no models', () => {
    expect(() => getModel('nobody-at-all', 'x')).toThrow(/nobody-at-all/);
  });

  it('takes any id for a provider not in the catalog, and for a provider only known at run time', () => {
    const model: Model = {
      ...getModel('openai', 'gpt-4.1'),
      provider: 'my-gateway-typed',
      id: 'house-model',
    };
    registerModel(model);
    expect(getModel('my-gateway-typed', 'house-model')).toBe(model);
    const dynamic: string = 'anthropic';
    expect(getModel(dynamic, 'claude-opus-5-5').provider).toBe('anthropic');
  });
});

describe('findModel', () => {
  it('returns undefined for an unknown id instead of throwing', () => {
    const id: string = 'no-such-model';
    expect(findModel('anthropic', id)).toBeUndefined();
    expectTypeOf(findModel('anthropic', id)).toEqualTypeOf<Model | undefined>();
  });

  it('finds catalog and registered models', () => {
    expect(findModel('anthropic', 'claude-opus-5-5')?.provider).toBe('anthropic');
    const registered: Model = { ...getModel('anthropic', 'claude-opus-5-5'), id: 'claude-opus-5-5-typed-proxy' };
    registerModel(registered);
    expect(findModel('anthropic', 'claude-opus-5-5-typed-proxy')).toBe(registered);
  });
});
