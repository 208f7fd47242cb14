package schemas

import (
	"errors"
	"fmt"
	"math"
)

// errShort marks input that ends inside a value.
var errShort = errors.New("input ends inside a value")

// maxZeroSizeItems bounds the items of an array or map whose items can
// encode to zero bytes (e.g. an array of null), which the input length does
// not bound.
const maxZeroSizeItems = 1 << 16

var stringNode = &node{t: tString, minSize: 1}

// validate walks one binary value of type n at the start of buf and returns
// the bytes after it. It is a cheap structural check run before goavro
// decodes: goavro preallocates arrays and maps by the declared block count,
// so an unchecked count of 2^31 in a corrupt record would cost gigabytes.
// Here every count must fit in the bytes that remain.
func validate(n *node, buf []byte, depth int) ([]byte, error) {
	if depth > maxSchemaDepth*4 {
		return nil, errors.New("value nested too deeply")
	}
	switch n.t {
	case tNull:
		return buf, nil
	case tBoolean:
		if len(buf) < 1 {
			return nil, errShort
		}
		if buf[0] > 1 {
			return nil, fmt.Errorf("boolean byte %#x", buf[0])
		}
		return buf[1:], nil
	case tInt:
		v, rest, err := readVarint(buf, 5)
		if err != nil {
			return nil, err
		}
		if v < math.MinInt32 || v > math.MaxInt32 {
			return nil, fmt.Errorf("int out of range: %d", v)
		}
		return rest, nil
	case tLong:
		_, rest, err := readVarint(buf, 10)
		return rest, err
	case tFloat, tDouble, tFixed:
		size := n.minSize
		if len(buf) < size {
			return nil, errShort
		}
		return buf[size:], nil
	case tBytes, tString:
		size, rest, err := readVarint(buf, 10)
		if err != nil {
			return nil, err
		}
		if size < 0 {
			return nil, fmt.Errorf("negative length %d", size)
		}
		if size > int64(len(rest)) {
			return nil, errShort
		}
		return rest[size:], nil
	case tEnum:
		idx, rest, err := readVarint(buf, 5)
		if err != nil {
			return nil, err
		}
		if idx < 0 || idx >= int64(n.nsymbols) {
			return nil, fmt.Errorf("enum index %d out of range", idx)
		}
		return rest, nil
	case tUnion:
		idx, rest, err := readVarint(buf, 10)
		if err != nil {
			return nil, err
		}
		if idx < 0 || idx >= int64(len(n.members)) {
			return nil, fmt.Errorf("union branch %d out of range", idx)
		}
		return validate(n.members[idx], rest, depth+1)
	case tRecord:
		var err error
		for i := range n.fields {
			if buf, err = validate(n.fields[i].typ, buf, depth+1); err != nil {
				return nil, err
			}
		}
		return buf, nil
	case tArray, tMap:
		return validateBlocks(n, buf, depth)
	}
	return nil, fmt.Errorf("unknown type %d", n.t)
}

func validateBlocks(n *node, buf []byte, depth int) ([]byte, error) {
	itemSize := n.items.minSize
	if n.t == tMap {
		itemSize++ // the key's length
	}
	total := int64(0)
	for {
		count, rest, err := readVarint(buf, 10)
		if err != nil {
			return nil, err
		}
		buf = rest
		if count == 0 {
			return buf, nil
		}
		if count < 0 {
			if count == math.MinInt64 {
				return nil, errors.New("block count out of range")
			}
			count = -count
			size, rest, err := readVarint(buf, 10)
			if err != nil {
				return nil, err
			}
			if size < 0 {
				return nil, fmt.Errorf("negative block size %d", size)
			}
			buf = rest
		}
		total += count
		if itemSize > 0 && count > int64(len(buf)/itemSize) {
			return nil, errShort
		}
		if itemSize == 0 && total > maxZeroSizeItems {
			return nil, fmt.Errorf("more than %d zero-size items", maxZeroSizeItems)
		}
		for range count {
			if n.t == tMap {
				if buf, err = validate(stringNode, buf, depth+1); err != nil {
					return nil, err
				}
			}
			if buf, err = validate(n.items, buf, depth+1); err != nil {
				return nil, err
			}
		}
	}
}

// readVarint reads a zig-zag varint of at most maxLen bytes.
func readVarint(buf []byte, maxLen int) (int64, []byte, error) {
	var u uint64
	var shift uint
	for i := 0; i < len(buf); i++ {
		if i == maxLen {
			return 0, nil, errors.New("varint too long")
		}
		b := buf[i]
		u |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return int64(u>>1) ^ -int64(u&1), buf[i+1:], nil
		}
		shift += 7
	}
	if len(buf) >= maxLen {
		return 0, nil, errors.New("varint too long")
	}
	return 0, nil, errShort
}
