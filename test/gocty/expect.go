// The decoded value each fixture must produce, derived from the cty value itself: integers within
// ±(2^53-1) as JSON numbers, other integers as {"$bigint": "…"}, exact floats as JSON numbers, ±Inf as
// {"$number": "+Inf"}, numbers that are neither as the decimal string cty sends, dynamic wrappers unwrapped,
// and the first unknown value (in cty's own order) as an error naming its path.
package main

import (
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"

	"github.com/zclconf/go-cty/cty"
)

const maxSafeInteger = 1<<53 - 1

type unknownAt struct{ path string }

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// pathString renders a path as src/driver/config-schema.ts formatConfigPath does.
func pathString(root string, steps []any) string {
	out := root
	for _, step := range steps {
		switch s := step.(type) {
		case int:
			out += "[" + strconv.Itoa(s) + "]"
		case string:
			if identifier.MatchString(s) {
				out += "." + s
			} else {
				out += "[" + strconv.Quote(s) + "]"
			}
		}
	}
	return out
}

func expectation(val cty.Value) map[string]any {
	decoded, err := expected(val, nil)
	if err != nil {
		return map[string]any{"error": map[string]any{"kind": "unknown", "path": err.path}}
	}
	return map[string]any{"value": decoded}
}

func expected(val cty.Value, path []any) (any, *unknownAt) {
	if !val.IsKnown() {
		return nil, &unknownAt{pathString("config", path)}
	}
	if val.IsNull() {
		return nil, nil
	}
	ty := val.Type()
	switch {
	case ty == cty.String:
		return val.AsString(), nil
	case ty == cty.Bool:
		return val.True(), nil
	case ty == cty.Number:
		return expectedNumber(val), nil
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		out := []any{}
		i := 0
		for it := val.ElementIterator(); it.Next(); i++ {
			_, ev := it.Element()
			v, err := expected(ev, append(path, i))
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case ty.IsMapType() || ty.IsObjectType():
		out := map[string]any{}
		keys := []string{}
		if ty.IsObjectType() {
			for k := range ty.AttributeTypes() {
				keys = append(keys, k)
			}
		} else {
			for it := val.ElementIterator(); it.Next(); {
				k, _ := it.Element()
				keys = append(keys, k.AsString())
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			var ev cty.Value
			if ty.IsObjectType() {
				ev = val.GetAttr(k)
			} else {
				ev = val.Index(cty.StringVal(k))
			}
			v, err := expected(ev, append(path, k))
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	}
	panic(fmt.Sprintf("no expectation for type %s", ty.FriendlyName()))
}

func expectedNumber(val cty.Value) any {
	if val.RawEquals(cty.PositiveInfinity) {
		return map[string]any{"$number": "+Inf"}
	}
	if val.RawEquals(cty.NegativeInfinity) {
		return map[string]any{"$number": "-Inf"}
	}
	bf := val.AsBigFloat()
	if bf.IsInt() {
		bi, _ := bf.Int(nil)
		if bi.IsInt64() {
			if n := bi.Int64(); n >= -maxSafeInteger && n <= maxSafeInteger {
				return n
			}
			return map[string]any{"$bigint": bi.String()}
		}
	}
	if f, acc := bf.Float64(); acc == big.Exact {
		return f
	}
	// Integers beyond int64 that float64 cannot hold exactly, and inexact fractions, travel as text.
	return bf.Text('f', -1)
}
