// Package sockets is the host side of Durable Objects' hibernatable web
// sockets (acceptWebSocket; docs/durable-objects.md#websockets). A [Hub]
// terminates the sockets that objects accept and keeps them open on its
// own, independent of any instance: an object may be evicted (hibernated)
// while its sockets stay connected, and a message that arrives wakes it
// through [Options.Deliver], the object manager's callback.
//
// One Hub serves one class: the manager gives each class its Deliver and
// its limits, and the Hub keeps the class's objects apart by their key
// (any string the manager chooses, such as the object's id). A socket's
// [Socket.Key] is unique within its Hub, so a handle the guest holds
// (state's web-socket resource) maps back to the socket with [Hub.Socket].
//
// Semantics follow Cloudflare's (workerd's hibernation manager):
//
//   - events (a message, the close, an error) are delivered one at a time
//     per object, in the order they arrived; a socket's reader reads ahead
//     at most Options.InboundMessages messages (and InboundBytes bytes) that
//     are not yet delivered, and otherwise stops reading, so a client that
//     floods is held back by TCP, never buffered without bound;
//   - an event that fails (Deliver returns an error) is logged and the
//     socket stays open, as workerd keeps reading after an event throws;
//   - the object's event timeout (setHibernatableWebSocketEventTimeout, at
//     most 7 days) bounds each delivery: its context is cancelled then;
//   - a client's close frame is answered and delivered as a close event
//     (wasClean true); a connection lost without one is a close event with
//     code 1006 and wasClean false; a message over Options.MaxMessageSize
//     (1 MiB, workerd's limit for hibernatable sockets) closes the socket
//     with 1009 and is delivered as an error event; after its last event a
//     socket leaves the object's set;
//   - an auto-response (setWebSocketAutoResponse) is answered by the Hub
//     without waking the object, and the socket remembers when;
//   - limits: 32,768 sockets per object, 10 tags per socket (duplicates
//     ignored) of at most 256 characters, attachments of at most 16 KiB
//     (workerd's current limit), auto-response strings of at most 2048
//     bytes, close reasons of at most 123 bytes.
//
// What Bindery adds: a socket whose client does not read what the object
// sends is closed once Options.OutboundMessages messages or
// Options.OutboundBytes bytes wait for it, or one write takes longer than
// Options.WriteTimeout; after the object closes a socket, no further event
// is delivered for it (the object knows it closed it).
package sockets
