package schemas

import "testing"

func BenchmarkEncodeOrder(b *testing.B) { benchEncode(b, fullOrder()) }
func BenchmarkDecodeOrder(b *testing.B) { benchDecode(b, fullOrder(), new(Order)) }
func BenchmarkEncodeClick(b *testing.B) { benchEncode(b, fullClick()) }
func BenchmarkDecodeClick(b *testing.B) { benchDecode(b, fullClick(), new(Click)) }

func benchEncode(b *testing.B, v any) {
	s := NewSerde()
	buf, err := s.Encode(v)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if buf, err = s.AppendEncode(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecode(b *testing.B, v, into any) {
	s := NewSerde()
	buf, err := s.Encode(v)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if err := s.Decode(buf, into); err != nil {
			b.Fatal(err)
		}
	}
}
