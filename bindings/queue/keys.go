package queue

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
)

// The broker's Badger keys, all under root (docs/state.md, "Queues").
// <q> is a queue's name with its length, <len(name)>:<name>/, so no
// queue's keys fall inside another's whatever the names hold:
//
//	queue/q/<q>                       the queue is known (sent to, consumed or configured); empty value
//	queue/r/<q>                       the queue's retention: version 1, milliseconds (8 bytes)
//	queue/m/<q><id>                   a message's record: version 1, timestamp (8), content type (1), body
//	queue/i/<q><due 8><seq 8><id>     the delivery index: version 1, attempts (4), timestamp (8), origin queue
//	queue/d/<origin q><dlq q><id>     a message dead-lettered from origin into dlq: its index entry's <due><seq>
//
// Times are milliseconds since the Unix epoch with the sign bit flipped,
// big-endian, so the index sorts by due time, then by seq (a counter
// that orders the messages sent in one millisecond), and a queue's
// first index key is its next message due. An id is 32 lowercase hex
// digits. A message has exactly one index entry, pending or in flight
// (in flight is known only in memory: after a restart every message is
// pending); its attempts live in that small entry so counting one
// rewrites no body. The origin is empty but for a message moved to a
// dead-letter queue, which also has a queue/d/ reference from the queue
// it came from (Info's DeadLettered, Peek).
const (
	root        = "queue/"
	markerRoot  = root + "q/"
	retainRoot  = root + "r/"
	recordRoot  = root + "m/"
	indexRoot   = root + "i/"
	deadRoot    = root + "d/"
	idLen       = 32
	maxNameLen  = 63
	keyTimeBits = 1 << 63
)

var errBadKey = errors.New("malformed queue key")

// appendQueue appends <len(name)>:<name>/ to p.
func appendQueue(p []byte, name string) []byte {
	p = strconv.AppendInt(p, int64(len(name)), 10)
	p = append(p, ':')
	p = append(p, name...)
	return append(p, '/')
}

// parseQueue reads <len(name)>:<name>/ from b and returns the rest.
func parseQueue(b []byte) (name string, rest []byte, err error) {
	colon := bytes.IndexByte(b, ':')
	if colon < 1 || colon > 2 {
		return "", nil, errBadKey
	}
	n, err := strconv.ParseUint(string(b[:colon]), 10, 8)
	if err != nil || n == 0 || n > maxNameLen || strconv.FormatUint(n, 10) != string(b[:colon]) {
		return "", nil, errBadKey
	}
	b = b[colon+1:]
	if uint64(len(b)) < n+1 || b[n] != '/' {
		return "", nil, errBadKey
	}
	return string(b[:n]), b[n+1:], nil
}

func key(prefix, queue string, extra int) []byte {
	p := make([]byte, 0, len(prefix)+len(queue)+4+extra)
	return appendQueue(append(p, prefix...), queue)
}

// markerKey marks queue as known.
func markerKey(queue string) []byte { return key(markerRoot, queue, 0) }

// retentionKey holds queue's retention.
func retentionKey(queue string) []byte { return key(retainRoot, queue, 0) }

// recordKey is the key of message id's record in queue.
func recordKey(queue, id string) []byte { return append(key(recordRoot, queue, idLen), id...) }

// indexPrefix is the prefix of queue's delivery index.
func indexPrefix(queue string) []byte { return key(indexRoot, queue, 16+idLen) }

// indexKey is message id's entry in queue's delivery index.
func indexKey(queue string, due int64, seq uint64, id string) []byte {
	p := indexPrefix(queue)
	p = appendDueSeq(p, due, seq)
	return append(p, id...)
}

func appendDueSeq(p []byte, due int64, seq uint64) []byte {
	p = binary.BigEndian.AppendUint64(p, uint64(due)^keyTimeBits)
	return binary.BigEndian.AppendUint64(p, seq)
}

// deadPrefix is the prefix of the references to the messages
// dead-lettered from origin.
func deadPrefix(origin string) []byte { return key(deadRoot, origin, 0) }

// deadKey is the reference from origin to message id in dlq.
func deadKey(origin, dlq, id string) []byte {
	return append(appendQueue(deadPrefix(origin), dlq), id...)
}

// validID reports whether id is 32 lowercase hex digits.
func validID(id []byte) bool {
	if len(id) != idLen {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// parseNameKey is the inverse of markerKey and retentionKey (prefix
// says which).
func parseNameKey(prefix string, k []byte) (string, error) {
	if !bytes.HasPrefix(k, []byte(prefix)) {
		return "", errBadKey
	}
	name, rest, err := parseQueue(k[len(prefix):])
	if err != nil || len(rest) != 0 {
		return "", errBadKey
	}
	return name, nil
}

// parseIndexKey is indexKey's inverse.
func parseIndexKey(k []byte) (queue string, due int64, seq uint64, id string, err error) {
	if !bytes.HasPrefix(k, []byte(indexRoot)) {
		return "", 0, 0, "", errBadKey
	}
	queue, rest, err := parseQueue(k[len(indexRoot):])
	if err != nil || len(rest) != 16+idLen || !validID(rest[16:]) {
		return "", 0, 0, "", errBadKey
	}
	due = int64(binary.BigEndian.Uint64(rest) ^ keyTimeBits)
	seq = binary.BigEndian.Uint64(rest[8:])
	return queue, due, seq, string(rest[16:]), nil
}

// parseDeadKey is deadKey's inverse.
func parseDeadKey(k []byte) (origin, dlq, id string, err error) {
	if !bytes.HasPrefix(k, []byte(deadRoot)) {
		return "", "", "", errBadKey
	}
	origin, rest, err := parseQueue(k[len(deadRoot):])
	if err != nil {
		return "", "", "", errBadKey
	}
	dlq, rest, err = parseQueue(rest)
	if err != nil || !validID(rest) {
		return "", "", "", errBadKey
	}
	return origin, dlq, string(rest), nil
}

// parseDueSeq reads a dead-letter reference's value.
func parseDueSeq(v []byte) (due int64, seq uint64, err error) {
	if len(v) != 16 {
		return 0, 0, errors.New("malformed dead-letter reference")
	}
	return int64(binary.BigEndian.Uint64(v) ^ keyTimeBits), binary.BigEndian.Uint64(v[8:]), nil
}

const recordVersion, indexVersion, retentionVersion = 1, 1, 1

// record is a message as stored: all but its delivery state.
type record struct {
	ts   int64 // ms since the epoch: when it was sent
	ct   ContentType
	body []byte
}

const recordHeader = 1 + 8 + 1

func (r record) encode() []byte {
	b := make([]byte, 0, recordHeader+len(r.body))
	b = append(b, recordVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(r.ts))
	b = append(b, byte(r.ct))
	return append(b, r.body...)
}

// decodeRecord decodes a record; its body aliases b.
func decodeRecord(b []byte) (record, error) {
	if len(b) < recordHeader || b[0] != recordVersion || ContentType(b[9]) > V8 {
		return record{}, errors.New("malformed queue message record")
	}
	return record{ts: int64(binary.BigEndian.Uint64(b[1:])), ct: ContentType(b[9]), body: b[recordHeader:]}, nil
}

// indexValue is the value of a delivery index entry.
type indexValue struct {
	attempts uint32 // deliveries so far
	ts       int64  // the message's timestamp (retention reads it here)
	origin   string // the queue it was dead-lettered from, if any
}

const indexHeader = 1 + 4 + 8

func (v indexValue) encode() []byte {
	b := make([]byte, 0, indexHeader+len(v.origin))
	b = append(b, indexVersion)
	b = binary.BigEndian.AppendUint32(b, v.attempts)
	b = binary.BigEndian.AppendUint64(b, uint64(v.ts))
	return append(b, v.origin...)
}

func decodeIndexValue(b []byte) (indexValue, error) {
	if len(b) < indexHeader || b[0] != indexVersion || len(b) > indexHeader+maxNameLen {
		return indexValue{}, errors.New("malformed queue index entry")
	}
	return indexValue{
		attempts: binary.BigEndian.Uint32(b[1:]),
		ts:       int64(binary.BigEndian.Uint64(b[5:])),
		origin:   string(b[indexHeader:]),
	}, nil
}

func encodeRetention(ms int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{retentionVersion}, uint64(ms))
}

func decodeRetention(b []byte) (int64, error) {
	if len(b) != 9 || b[0] != retentionVersion {
		return 0, errors.New("malformed queue retention")
	}
	ms := int64(binary.BigEndian.Uint64(b[1:]))
	if ms <= 0 || ms > MaxRetention.Milliseconds() {
		return 0, errors.New("queue retention out of range")
	}
	return ms, nil
}
