import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

interface Env {
  JWKS: JSONWebKeySet; // a JSON var: the issuer's public keys
  ISSUER: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const auth = request.headers.get('authorization') ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!token) return new Response('missing bearer token\n', { status: 401 });
    try {
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(env.JWKS), {
        issuer: env.ISSUER,
        algorithms: ['RS256', 'ES256'],
      });
      return Response.json({ sub: payload.sub, alg: protectedHeader.alg });
    } catch (e) {
      return new Response(`invalid token: ${(e as Error).message}\n`, { status: 401 });
    }
  },
};
