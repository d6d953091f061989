package alarms

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
)

// The scheduler's Badger keys, all under root:
//
//	durable/alarms/o/<len(class)>:<class>/<id>          the object's record
//	durable/alarms/t/<due: 8 bytes><len(class)>:<class>/<id>  the due-time index
//
// The record's value is a [record]; an index key has an empty value. The
// due time is milliseconds since the Unix epoch with the sign bit
// flipped, big-endian, so the index sorts by due time (times before 1970
// included) and its first key is the next alarm due. The class's length
// makes the object part unambiguous whatever the class and id hold.
const (
	root        = "durable/alarms/"
	recordsRoot = root + "o/"
	indexRoot   = root + "t/"
)

// objectSuffix appends <len(class)>:<class>/<id> to p.
func objectSuffix(p []byte, class, id string) []byte {
	p = strconv.AppendInt(p, int64(len(class)), 10)
	p = append(p, ':')
	p = append(p, class...)
	p = append(p, '/')
	return append(p, id...)
}

// recordKey is the Badger key of the object's record.
func recordKey(class, id string) []byte {
	p := make([]byte, 0, len(recordsRoot)+len(class)+len(id)+8)
	return objectSuffix(append(p, recordsRoot...), class, id)
}

// classPrefix is the prefix of the records of every object of class.
func classPrefix(class string) []byte {
	p := []byte(recordsRoot)
	p = strconv.AppendInt(p, int64(len(class)), 10)
	p = append(p, ':')
	p = append(p, class...)
	return append(p, '/')
}

// indexKey is the Badger key of the object's entry in the due-time index.
func indexKey(due int64, class, id string) []byte {
	p := make([]byte, 0, len(indexRoot)+8+len(class)+len(id)+8)
	p = append(p, indexRoot...)
	p = binary.BigEndian.AppendUint64(p, uint64(due)^(1<<63))
	return objectSuffix(p, class, id)
}

var errBadKey = errors.New("malformed alarm key")

// parseObject reads <len(class)>:<class>/<id>.
func parseObject(b []byte) (class, id string, err error) {
	colon := bytes.IndexByte(b, ':')
	if colon < 1 || colon > 10 {
		return "", "", errBadKey
	}
	n, err := strconv.ParseUint(string(b[:colon]), 10, 32)
	if err != nil || strconv.FormatUint(n, 10) != string(b[:colon]) {
		return "", "", errBadKey
	}
	rest := b[colon+1:]
	if uint64(len(rest)) < n+1 || rest[n] != '/' {
		return "", "", errBadKey
	}
	return string(rest[:n]), string(rest[n+1:]), nil
}

// parseRecordKey is recordKey's inverse.
func parseRecordKey(k []byte) (class, id string, err error) {
	if !bytes.HasPrefix(k, []byte(recordsRoot)) {
		return "", "", errBadKey
	}
	return parseObject(k[len(recordsRoot):])
}

// parseIndexKey is indexKey's inverse.
func parseIndexKey(k []byte) (due int64, class, id string, err error) {
	if !bytes.HasPrefix(k, []byte(indexRoot)) || len(k) < len(indexRoot)+8 {
		return 0, "", "", errBadKey
	}
	due = int64(binary.BigEndian.Uint64(k[len(indexRoot):]) ^ (1 << 63))
	class, id, err = parseObject(k[len(indexRoot)+8:])
	return due, class, id, err
}

// record is an object's alarm as stored: what getAlarm returns, when the
// next attempt is due (the alarm's time, or a retry's), and how many
// retries came before that attempt.
type record struct {
	scheduled int64  // ms since the epoch, as set
	due       int64  // ms since the epoch: the next attempt
	retries   uint32 // the next attempt's retryCount
}

const recordVersion, recordSize = 1, 1 + 8 + 8 + 4

func (r record) encode() []byte {
	b := make([]byte, 0, recordSize)
	b = append(b, recordVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(r.scheduled))
	b = binary.BigEndian.AppendUint64(b, uint64(r.due))
	return binary.BigEndian.AppendUint32(b, r.retries)
}

func decodeRecord(b []byte) (record, error) {
	if len(b) != recordSize || b[0] != recordVersion {
		return record{}, errors.New("malformed alarm record")
	}
	return record{
		scheduled: int64(binary.BigEndian.Uint64(b[1:])),
		due:       int64(binary.BigEndian.Uint64(b[9:])),
		retries:   binary.BigEndian.Uint32(b[17:]),
	}, nil
}
