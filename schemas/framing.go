package schemas

import (
	"encoding/binary"
	"fmt"

	"github.com/twmb/franz-go/pkg/sr"
)

// Framing markers.
const (
	// soeMarker0 and soeMarker1 open an Avro single-object encoding,
	// followed by the 8-byte little-endian CRC-64-AVRO fingerprint of the
	// writer's schema.
	soeMarker0, soeMarker1 = 0xC3, 0x01
	soeHeaderLen           = 10
	// confluentMagic opens the Confluent wire format, followed by the
	// 4-byte big-endian registry id of the writer's schema.
	confluentMagic     = 0x00
	confluentHeaderLen = 5
)

var confluentHeader sr.ConfluentHeader

// writer finds the schema b was written with from its frame and returns it
// with the Avro body.
func (s *Serde) writer(b []byte) (*schema, []byte, error) {
	switch {
	case len(b) == 0:
		return nil, nil, fmt.Errorf("%w: empty input", ErrTruncated)
	case b[0] == soeMarker0:
		if len(b) < 2 {
			return nil, nil, fmt.Errorf("%w: %d-byte single-object header", ErrTruncated, len(b))
		}
		if b[1] != soeMarker1 {
			return nil, nil, fmt.Errorf("%w: bytes %#x %#x", ErrNotFramed, b[0], b[1])
		}
		if len(b) < soeHeaderLen {
			return nil, nil, fmt.Errorf("%w: %d-byte single-object header", ErrTruncated, len(b))
		}
		fp := binary.LittleEndian.Uint64(b[2:soeHeaderLen])
		w, ok := known().byRabin[fp]
		if !ok {
			return nil, nil, fmt.Errorf("%w: fingerprint %016x", ErrUnknownSchema, fp)
		}
		return w, b[soeHeaderLen:], nil
	case b[0] == confluentMagic:
		if len(b) < confluentHeaderLen {
			return nil, nil, fmt.Errorf("%w: %d-byte Confluent header", ErrTruncated, len(b))
		}
		id, body, err := confluentHeader.DecodeID(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrNotFramed, err)
		}
		if s.reg == nil {
			return nil, nil, &noRegistryError{what: "confluent-framed record"}
		}
		w, err := s.schemaByID(id)
		if err != nil {
			return nil, nil, err
		}
		return w, body, nil
	default:
		return nil, nil, fmt.Errorf("%w: first byte %#x", ErrNotFramed, b[0])
	}
}
