import { Hono } from 'hono';
import { cache } from 'hono/cache';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';

type Bindings = { IMAGES: R2Bucket };
interface R2Bucket {
  put(key: string, value: ArrayBuffer, opts?: { httpMetadata?: { contentType?: string }; customMetadata?: Record<string, string> }): Promise<{ key: string; size: number; etag: string }>;
  get(key: string): Promise<{ body: ReadableStream; httpMetadata?: { contentType?: string }; customMetadata?: Record<string, string>; size: number } | null>;
  list(): Promise<{ objects: { key: string; size: number }[] }>;
}

const upload = z.object({
  title: z.string().min(1).max(100),
  image: z.instanceof(File).refine((f) => f.type.startsWith('image/'), 'not an image'),
});

const app = new Hono<{ Bindings: Bindings }>();

app.post('/upload', zValidator('form', upload), async (c) => {
  const { title, image } = c.req.valid('form');
  const key = `${Date.now()}-${image.name}`;
  const obj = await c.env.IMAGES.put(key, await image.arrayBuffer(), {
    httpMetadata: { contentType: image.type },
    customMetadata: { title },
  });
  return c.json({ key: obj.key, size: obj.size, etag: obj.etag }, 201);
});

app.get('/images', async (c) => {
  const { objects } = await c.env.IMAGES.list();
  return c.json(objects.map((o) => ({ key: o.key, size: o.size })));
});

app.get('/images/:key', cache({ cacheName: 'images', cacheControl: 'public, max-age=3600' }), async (c) => {
  const obj = await c.env.IMAGES.get(c.req.param('key'));
  if (!obj) return c.notFound();
  return new Response(obj.body, {
    headers: { 'content-type': obj.httpMetadata?.contentType ?? 'application/octet-stream', 'x-title': obj.customMetadata?.title ?? '' },
  });
});

export default app;
