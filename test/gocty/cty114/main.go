// Command cty114 writes the golden fixture of go-cty v1.14.4's number encoding: since that release a whole
// number too large for any MessagePack integer (beyond ±2^63, or 2^64 and up) is sent as its decimal string,
// where v1.12.1 (Nomad v1.6.3's pin, test/gocty) sent a float64 when the value was exact in one.
//
//	go run . -out ../../fixtures/msgpack
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"

	"github.com/zclconf/go-cty/cty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
)

func bigIntVal(text string) cty.Value {
	bi, ok := new(big.Int).SetString(text, 10)
	if !ok {
		panic(text)
	}
	return cty.NumberVal(new(big.Float).SetInt(bi))
}

// cases: name → value and what our decoder must give (strings for the forms v1.14.4 sends as text).
var cases = []struct {
	name   string
	value  cty.Value
	expect any
}{
	{"a_int64_max", cty.NumberIntVal(1<<63 - 1), map[string]string{"$bigint": "9223372036854775807"}},
	{"b_two_pow_63", bigIntVal("9223372036854775808"), "9223372036854775808"},
	{"c_two_pow_64", bigIntVal("18446744073709551616"), "18446744073709551616"},
	{"d_above_uint64", bigIntVal("18446744073709551617"), "18446744073709551617"},
	{"e_neg_two_pow_64", bigIntVal("-18446744073709551616"), "-18446744073709551616"},
	{"f_two_pow_70", bigIntVal("1180591620717411303424"), "1180591620717411303424"},
	{"g_float", cty.NumberFloatVal(1.5), 1.5},
	{"h_small", cty.NumberIntVal(8080), 8080},
}

func main() {
	outDir := flag.String("out", "", "directory to write numbers-cty114.msgpack and .json into")
	flag.Parse()
	if *outDir == "" {
		fmt.Fprintln(os.Stderr, "usage: cty114 -out dir")
		os.Exit(2)
	}
	attrs := map[string]cty.Value{}
	expect := map[string]any{}
	for _, c := range cases {
		attrs[c.name] = c.value
		expect[c.name] = c.expect
	}
	val := cty.ObjectVal(attrs)
	bytes, err := ctymsgpack.Marshal(val, val.Type())
	if err != nil {
		fmt.Fprintln(os.Stderr, "cty114:", err)
		os.Exit(1)
	}
	text, err := json.MarshalIndent(map[string]any{
		"description": "go-cty v1.14.4: whole numbers beyond MessagePack's integers arrive as decimal strings",
		"value":       expect,
	}, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cty114:", err)
		os.Exit(1)
	}
	for name, data := range map[string][]byte{"numbers-cty114.msgpack": bytes, "numbers-cty114.json": append(text, '\n')} {
		if err := os.WriteFile(filepath.Join(*outDir, name), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "cty114:", err)
			os.Exit(1)
		}
	}
}
