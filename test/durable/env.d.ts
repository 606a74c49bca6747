/** What the durable tests take from the pool's `cloudflare:workers`: the main Worker's handler. */
declare module 'cloudflare:workers' {
  export const exports: { default: { fetch(request: Request): Promise<Response> } };
}
