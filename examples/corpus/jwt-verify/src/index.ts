import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

interface Env {
  JWKS: string; // a secret: the issuer's public keys, as JSON
  ISSUER: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const auth = request.headers.get('authorization') ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!token) return new Response('missing bearer token\n', { status: 401 });
    const jwks = JSON.parse(env.JWKS) as JSONWebKeySet;
    try {
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
        issuer: env.ISSUER,
        algorithms: ['RS256', 'ES256'],
      });
      return Response.json({ sub: payload.sub, alg: protectedHeader.alg });
    } catch (e) {
      return new Response(`invalid token: ${(e as Error).message}\n`, { status: 401 });
    }
  },
};
