package durable

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// KeySize is the size of a namespace's key in bytes.
const KeySize = 32

// Key is a namespace's secret: the key of the HMACs that make and check
// its ids.
type Key [KeySize]byte

// IDSize is the size of an id in bytes; its string is twice as long.
const IDSize = 32

// ID is one object's id: 32 bytes, the object's key then its MAC (see the
// package comment). IDs are comparable values; the zero ID is no
// namespace's.
type ID [IDSize]byte

// String returns the id as Cloudflare shows one: 64 lower-case hex
// digits.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// IsUnique reports whether the id came from NewUniqueID (the top bit of
// its first byte is set) rather than IDFromName.
func (id ID) IsUnique() bool { return id[0]&0x80 != 0 }

// Domain separation of the namespace key's two uses.
const (
	tagName = 'n' // HMAC(key, tagName || name): a named id's object key
	tagMAC  = 'm' // HMAC(key, tagMAC || object key): an id's MAC
)

// Namespace is one class's id space: it makes and checks the ids of the
// class's objects. It is safe for concurrent use.
type Namespace struct {
	class string
	key   Key
	rand  io.Reader
}

// NewNamespace returns the namespace of class with key. Most callers use
// OpenNamespace, which keeps the key; NewNamespace is for a key the
// caller keeps itself.
func NewNamespace(class string, key Key) *Namespace {
	return &Namespace{class: class, key: key, rand: rand.Reader}
}

// OpenNamespace returns the namespace of class, its key from keys: made
// from crypto/rand and stored the first time the class is used (when two
// callers race, both get the key that was stored first).
func OpenNamespace(ctx context.Context, keys KeyStore, class string) (*Namespace, error) {
	if class == "" {
		return nil, errors.New("durable: a namespace needs a class name")
	}
	var k Key
	if _, err := io.ReadFull(rand.Reader, k[:]); err != nil {
		return nil, fmt.Errorf("durable: namespace %s: make a key: %w", class, err)
	}
	k, err := keys.CreateKey(ctx, class, k)
	if err != nil {
		return nil, fmt.Errorf("durable: namespace %s: %w", class, err)
	}
	return NewNamespace(class, k), nil
}

// Class returns the class's name.
func (n *Namespace) Class() string { return n.class }

// mac returns HMAC-SHA-256(key, tag || data).
func (n *Namespace) mac(tag byte, data []byte) []byte {
	h := hmac.New(sha256.New, n.key[:])
	h.Write([]byte{tag})
	h.Write(data)
	return h.Sum(nil)
}

// seal fills the MAC half of id from its object key.
func (n *Namespace) seal(id *ID) {
	copy(id[16:], n.mac(tagMAC, id[:16]))
}

// IDFromName returns the id of the object named name: the same name
// always gives the same id in this namespace, and a different one in
// another. Any string is a name, the empty one included.
func (n *Namespace) IDFromName(name string) ID {
	var id ID
	copy(id[:16], n.mac(tagName, []byte(name)))
	id[0] &^= 0x80
	n.seal(&id)
	return id
}

// NewUniqueID returns a new random id: 16 bytes from crypto/rand, with
// the top bit of the first set so it is never a named object's.
func (n *Namespace) NewUniqueID() (ID, error) {
	var id ID
	if _, err := io.ReadFull(n.rand, id[:16]); err != nil {
		return ID{}, fmt.Errorf("durable: namespace %s: new unique id: %w", n.class, err)
	}
	id[0] |= 0x80
	n.seal(&id)
	return id, nil
}

// IDFromString parses an id a Worker got from this namespace (ID.String).
// A string that is not 64 lower-case hex digits is an *IDError matching
// ErrMalformedID; one whose MAC this namespace did not make (an id of
// another class, or one edited by hand) matches ErrOtherNamespace.
func (n *Namespace) IDFromString(s string) (ID, error) {
	var id ID
	if len(s) != 2*IDSize {
		return ID{}, n.idError(s, ErrMalformedID, fmt.Sprintf("want %d hex digits, got %d characters", 2*IDSize, len(s)))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'f' {
			continue
		}
		what := "is not a hex digit"
		if c >= 'A' && c <= 'F' {
			what = "is upper case (ids are lower-case hex)"
		}
		return ID{}, n.idError(s, ErrMalformedID, fmt.Sprintf("character %d (%s) %s", i+1, strconv.QuoteRune(rune(c)), what))
	}
	hex.Decode(id[:], []byte(s)) // checked above
	want := n.mac(tagMAC, id[:16])
	if !hmac.Equal(id[16:], want[:16]) {
		return ID{}, n.idError(s, ErrOtherNamespace, "it was not made by this class's namespace")
	}
	return id, nil
}

func (n *Namespace) idError(s string, kind error, detail string) *IDError {
	return &IDError{Input: s, Class: n.class, Kind: kind, Detail: detail}
}

// The kinds of IDError, for errors.Is.
var (
	// ErrMalformedID is an id that is not 64 lower-case hex digits
	// (Cloudflare: "Invalid Durable Object ID").
	ErrMalformedID = errors.New("malformed Durable Object id")
	// ErrOtherNamespace is a well-formed id this namespace did not make:
	// another class's, or one changed by hand (Cloudflare: "ID is not
	// for this Durable Object class").
	ErrOtherNamespace = errors.New("Durable Object id is not for this class")
)

// IDError is IDFromString's error: which input, for which class, and
// what is wrong with it.
type IDError struct {
	// Input is the string given.
	Input string
	// Class is the namespace's class.
	Class string
	// Kind is ErrMalformedID or ErrOtherNamespace.
	Kind error
	// Detail says what is wrong.
	Detail string
}

// maxQuoted is the most of an input an error message shows.
const maxQuoted = 80

// Error names the input (its first 80 bytes when it is longer), the class
// and the fault.
func (e *IDError) Error() string {
	in := e.Input
	if len(in) > maxQuoted {
		in = in[:maxQuoted] + "…"
	}
	return fmt.Sprintf("durable: id %q for class %s: %v: %s", in, e.Class, e.Kind, e.Detail)
}

// Unwrap returns the Kind, so errors.Is(err, ErrMalformedID) works.
func (e *IDError) Unwrap() error { return e.Kind }
