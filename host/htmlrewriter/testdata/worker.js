// The HTMLRewriter test Worker (host/htmlrewriter/js_test.go): a page
// rewriter like Cloudflare's examples, and the edges of the API.

// Built when the module is evaluated, as Workers often do: HTMLRewriter
// must be a global by then.
const links = new HTMLRewriter().on('a[href]', {
  element(el) {
    el.setAttribute('href', 'https://x.test' + el.getAttribute('href'));
  },
});

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head><title>Hello &amp; welcome</title></head>
<body>
<!-- build 42 -->
<h1>Hello</h1>
<div class="ad"><p>Buy <b>now</b>!</p></div>
<p id="user">someone</p>
<a href="/docs">Docs</a> <a href="http://old.example/x" class=ext>Old</a>
<img src=logo.png loading=lazy>
<footer>fin</footer>
</body>
</html>`;

// pieces streams s cut into uneven pieces, so tags, text and comments
// arrive split.
function pieces(s) {
  const b = new TextEncoder().encode(s);
  let i = 0, n = 1;
  return new ReadableStream({
    pull(c) {
      if (i >= b.length) return c.close();
      c.enqueue(b.slice(i, i + n));
      i += n;
      n = n * 3 % 17 + 1;
    },
  });
}

class LinkRewriter {
  constructor(origin) { this.origin = origin; }
  element(el) {
    const href = el.getAttribute('href');
    if (href.startsWith('http://old.example')) {
      el.setAttribute('href', href.replace('http://old.example', this.origin));
    } else if (href.startsWith('/')) {
      el.setAttribute('href', this.origin + href);
    }
  }
}

function page(env) {
  const seen = [];
  let title = '';
  const res = new HTMLRewriter()
    .on('a[href]', new LinkRewriter('https://new.example'))
    .on('head', {
      element(el) {
        el.append('<script src="/injected.js"></script>', { html: true });
      },
    })
    .on('.ad', {
      element(el) {
        el.remove();
        seen.push(`removed ${el.tagName}.${el.getAttribute('class')} ${el.removed}`);
      },
    })
    .on('.ad b', {
      element(el) {
        seen.push(`inside the ad: removed=${el.removed}`);
      },
    })
    .on('#user', {
      async element(el) {
        const name = await env.STORE.get('user');
        el.setInnerContent(`<${name}>`);
      },
    })
    .on('h1', {
      text(t) {
        if (t.lastInTextNode) {
          t.after('!');
        } else {
          t.replace(t.text.toUpperCase());
        }
      },
    })
    .on('title', {
      text(t) {
        title += t.text;
      },
    })
    .on('img', {
      element(el) {
        el.removeAttribute('loading');
        el.setAttribute('alt', 'Logo "x"');
        seen.push(`img ${[...el.attributes].map(([k, v]) => k + '=' + v).join(' ')} ${el.namespaceURI}`);
      },
    })
    .on('footer', {
      element(el) {
        el.onEndTag(async (end) => {
          await env.STORE.get('user');
          end.before(`<small>${end.name}</small>`, { html: true });
        });
      },
    })
    .onDocument({
      doctype(d) {
        seen.push(`doctype ${d.name} ${d.publicId} ${d.systemId}`);
      },
      comments(c) {
        seen.push(`comment ${c.text}`);
        c.remove();
      },
      end(end) {
        end.append(`<!-- title: ${title}; ${seen.join('; ')} -->`, { html: true });
      },
    })
    .transform(new Response(pieces(PAGE), { headers: { 'content-type': 'text/html; charset=utf-8', 'content-length': String(PAGE.length) } }));
  return res;
}

class SiteLinkRewriter {
  element(el) {
    const href = el.getAttribute('href');
    if (href.startsWith('/')) el.setAttribute('href', 'https://example.com' + href);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case '/r2': { // docs/sdk-js.md's example: an R2 object's body, rewritten in the host
        const page = await env.SITE.get('index.html');
        if (page === null) return new Response('not found', { status: 404 });
        return new HTMLRewriter()
          .on('a[href]', new SiteLinkRewriter())
          .on('head', { element(el) { el.append('<script src="/analytics.js"></script>', { html: true }); } })
          .on('.ad', { element(el) { el.remove(); } })
          .on('#user', { async element(el) { el.setInnerContent(await env.STORE.get('user') ?? 'guest'); } })
          .onDocument({ end(end) { end.append('<!-- rewritten -->', { html: true }); } })
          .transform(new Response(page.body, { headers: { 'content-type': 'text/html' } }));
      }
      case '/page':
        return page(env);
      case '/rewrite': // the request body, streamed through the rewriter
        return links.transform(new Response(request.body, { headers: { 'content-type': 'text/html' } }));
      case '/rewrite-read': { // the request body rewritten, read back in JS
        const text = await links.transform(new Response(request.body)).text();
        return new Response(`${text.length} ${text.split('https://x.test/').length - 1}`);
      }
      case '/throw': // returned: the client sees a cut response
        return new HTMLRewriter()
          .on('p', { element() { throw new Error('a really bad error'); } })
          .transform(new Response('<div>before</div><p>x</p>'));
      case '/throw-text': { // read in JS: text() rejects with the handler's error
        const res = new HTMLRewriter()
          .on('p', { async element() { throw new RangeError('async and bad'); } })
          .transform(new Response('<p>x</p>'));
        try {
          await res.text();
          return new Response('no error');
        } catch (e) {
          return new Response(`${e.name}: ${e.message}`);
        }
      }
      case '/selector': {
        const sel = url.searchParams.get('s');
        try {
          new HTMLRewriter().on(sel, {});
          return new Response('ok');
        } catch (e) {
          return new Response(`${e.name}: ${e.message}`, { status: 400 });
        }
      }
      case '/errors': {
        const out = [];
        let kept;
        const res = new HTMLRewriter()
          .on('p', {
            element(el) {
              kept = el;
              for (const f of [() => el.setAttribute('a b', 'x'), () => { el.tagName = ''; }, () => el.before(new Response('x'))]) {
                try { f(); } catch (e) { out.push(`${e.name}: ${e.message}`); }
              }
            },
          })
          .on('br', {
            element(el) {
              try { el.onEndTag(() => {}); } catch (e) { out.push(`${e.name}: ${e.message}`); }
            },
          })
          .onDocument({
            comments(c) {
              try { c.text = 'a-->b'; } catch (e) { out.push(`${e.name}: ${e.message}`); }
            },
          })
          .transform(new Response('<p>x</p><br><!--c-->'));
        await res.text();
        try { kept.tagName; } catch (e) { out.push(`${e.name}: ${e.message}`); }
        return new Response(out.join('\n'));
      }
      case '/empty': {
        const res = new HTMLRewriter().on('p', { element() {} }).transform(new Response(null, { status: 204 }));
        return new Response(`${res.status} ${res.body}`);
      }
    }
    return new Response('not found\n', { status: 404 });
  },
};
