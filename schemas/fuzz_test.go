package schemas

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

// The committed seed corpus is in testdata/fuzz/<FuzzName>/; regenerate it
// with HELDSWAY_WRITE_FUZZ_CORPUS=1 go test -run TestWriteFuzzCorpus.

func FuzzDecodeSingleObject(f *testing.F) {
	s := NewSerde()
	for _, seed := range singleObjectSeeds(f) {
		f.Add(seed.b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecode(t, s, b)
		checkWireAgainstGoavro(t, b)
	})
}

func FuzzDecodeConfluent(f *testing.F) {
	s := confluentFuzzSerde(f)
	for _, seed := range confluentSeeds(f, s) {
		f.Add(seed.b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecode(t, s, b)
	})
}

// checkDecode: decoding never panics; whatever decodes re-encodes to
// something that decodes to an equal record.
func checkDecode(t *testing.T, s *Serde, b []byte) {
	v, err := s.DecodeAny(b)
	if err != nil {
		if v != nil {
			t.Fatalf("DecodeAny returned %T with error %v", v, err)
		}
		return
	}
	typed := reflect.New(reflect.TypeOf(v).Elem()).Interface()
	if err := s.Decode(b, typed); err != nil {
		t.Fatalf("DecodeAny accepted what Decode rejects: %v", err)
	}
	if !reflect.DeepEqual(v, typed) {
		t.Fatalf("Decode and DecodeAny differ:\n%+v\n%+v", v, typed)
	}
	enc, err := s.Encode(v)
	if err != nil {
		t.Fatalf("re-encoding %+v: %v", v, err)
	}
	again, err := s.DecodeAny(enc)
	if err != nil {
		t.Fatalf("decoding re-encoded record: %v", err)
	}
	if !reflect.DeepEqual(v, again) {
		t.Fatalf("re-encoding changed the record:\n got %+v\nwant %+v", again, v)
	}
}

// checkWireAgainstGoavro: for the current schemas, what the hand-written
// decoder accepts goavro accepts too, with the same result. (The reverse
// does not hold: the wire decoder rejects some encodings goavro tolerates,
// such as over-long ints.)
func checkWireAgainstGoavro(t *testing.T, b []byte) {
	if len(b) < soeHeaderLen || b[0] != soeMarker0 || b[1] != soeMarker1 {
		return
	}
	w := known().byRabin[leUint64(b[2:10])]
	if w == nil || !w.current {
		return
	}
	body := b[soeHeaderLen:]
	direct := newRecord(w.kind)
	if readRecord(newWdec(body), direct) != nil {
		return
	}
	native, rest, err := w.codec.NativeFromBinary(body)
	if err != nil || len(rest) != 0 {
		t.Fatalf("wire decoder accepted a body goavro rejects: %v, %d bytes left", err, len(rest))
	}
	via := newRecord(w.kind)
	if err := fromNative(native.(map[string]any), via); err != nil {
		t.Fatalf("converting goavro's decoding: %v", err)
	}
	if !reflect.DeepEqual(direct, via) {
		t.Fatalf("decoders disagree:\nwire   %+v\ngoavro %+v", direct, via)
	}
}

func leUint64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// confluentFuzzSerde is a Serde over a fake registry holding the current
// schemas as ids 1-8 (in kind order) and Order and Click v0 as 100 and 200.
func confluentFuzzSerde(tb testing.TB) *Serde {
	reg, cl := newFakeRegistry(tb)
	s := NewSerde(WithRegistry(cl))
	if err := s.Register(context.Background()); err != nil {
		tb.Fatal(err)
	}
	for id, name := range map[int]string{100: NameOrder, 200: NameClick} {
		fps := Fingerprints(name)
		w := known().byRabin[fps[1]]
		reg.SeedSchema(s.Subject(name), 2, id, sr.Schema{Schema: w.text})
	}
	return s
}

type seed struct {
	name string
	b    []byte
}

func singleObjectSeeds(tb testing.TB) []seed {
	return frameSeeds(tb, NewSerde(), func(w *schema, body []byte) []byte {
		return append(w.header[:], body...)
	})
}

func confluentSeeds(tb testing.TB, s *Serde) []seed {
	ids := map[uint64]int{}
	for id := range 9 {
		if w, err := s.schemaByID(id); err == nil {
			ids[w.rabin] = id
		}
	}
	ids[Fingerprints(NameOrder)[1]] = 100
	ids[Fingerprints(NameClick)[1]] = 200
	return frameSeeds(tb, s, func(w *schema, body []byte) []byte {
		id := ids[w.rabin]
		return append([]byte{0, byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}, body...)
	})
}

// frameSeeds builds valid records of every type and version, framed by
// frame, and corrupted variants.
func frameSeeds(tb testing.TB, s *Serde, frame func(*schema, []byte) []byte) []seed {
	var seeds []seed
	add := func(name string, b []byte) { seeds = append(seeds, seed{name, bytes.Clone(b)}) }
	for i, v := range append(allFull(), allEmpty()...) {
		k, _ := kindOf(v)
		var e wenc
		writeRecord(&e, v)
		b := frame(known().current[k], e.b)
		full := "full"
		if i >= int(numKinds) {
			full = "empty"
		}
		name := fmt.Sprintf("%s-%s", k.short(), full)
		add(name, b)
		if full == "full" {
			add(name+"-truncated", b[:len(b)-3])
			add(name+"-trailing", append(bytes.Clone(b), 0x02))
			flipped := bytes.Clone(b)
			flipped[len(flipped)/2] ^= 0xff
			add(name+"-flipped", flipped)
		}
	}
	for _, v := range []any{fullOrder(), fullClick()} {
		k, native, err := toNative(v)
		if err != nil {
			tb.Fatal(err)
		}
		w := known().byRabin[Fingerprints(k.String())[1]]
		body, err := w.codec.BinaryFromNative(nil, native)
		if err != nil {
			tb.Fatal(err)
		}
		add(k.short()+"-v0", frame(w, body))
		add(k.short()+"-v0-truncated", frame(w, body[:len(body)-2]))
	}
	// An Order whose codes array claims 2^31 items.
	var e wenc
	for range 6 {
		e.str("")
	}
	for range 5 {
		e.long(0)
	}
	e.long(1<<31 - 1)
	add("Order-huge-array", frame(known().current[kOrder], e.b))
	add("unknown-schema", append([]byte{0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8}, e.b...))
	add("confluent-unknown-id", append([]byte{0, 0, 0, 0x30, 0x39}, e.b...))
	add("not-framed", []byte("{\"order_id\":\"1001\"}"))
	return seeds
}

// TestWriteFuzzCorpus writes the seed corpus to testdata when
// HELDSWAY_WRITE_FUZZ_CORPUS=1; otherwise it checks the committed corpus
// exists.
func TestWriteFuzzCorpus(t *testing.T) {
	sets := map[string][]seed{
		"FuzzDecodeSingleObject": singleObjectSeeds(t),
		"FuzzDecodeConfluent":    confluentSeeds(t, confluentFuzzSerde(t)),
	}
	for fuzz, seeds := range sets {
		dir := filepath.Join("testdata", "fuzz", fuzz)
		if os.Getenv("HELDSWAY_WRITE_FUZZ_CORPUS") != "1" {
			if entries, err := os.ReadDir(dir); err != nil || len(entries) < len(seeds) {
				t.Errorf("seed corpus %s: %d files, %v; want at least %d", dir, len(entries), err, len(seeds))
			}
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, sd := range seeds {
			data := "go test fuzz v1\n[]byte(" + strconv.Quote(string(sd.b)) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, "seed-"+sd.name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
