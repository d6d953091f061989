class LinkRewriter {
  constructor(from, to) {
    this.from = from;
    this.to = to;
  }
  element(el) {
    const href = el.getAttribute('href');
    if (href && href.includes(this.from)) el.setAttribute('href', href.replace(this.from, this.to));
  }
}

// TextCounter appends the heading's length in characters; text arrives in
// chunks, the last of which has lastInTextNode set (and may be empty).
class TextCounter {
  n = 0;
  text(t) {
    this.n += t.text.length;
    if (t.lastInTextNode) {
      t.after(` (${this.n})`);
      this.n = 0;
    }
  }
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method === 'PUT') {
      await env.PAGES.put(pathname, await request.text());
      return new Response(null, { status: 204 });
    }
    const page = await env.PAGES.get(pathname, 'stream');
    if (page === null) return new Response('not found\n', { status: 404 });
    const origin = new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    return new HTMLRewriter()
      .on('a[href]', new LinkRewriter(env.OLD_HOST, env.NEW_HOST))
      .on('script[src*="tracker"]', { element: (el) => el.remove() })
      .on('title', { element: (el) => el.prepend('Bindery · ') })
      .on('h1', new TextCounter())
      .on('body', { element: (el) => el.prepend('<div class="banner">Served by Bindery</div>', { html: true }) })
      .transform(origin);
  },
};
