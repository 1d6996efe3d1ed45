// Neutral spec trees (as dumped by dump-specs.ts) → hcldec specs, following how Nomad converts the hclspec
// protobuf (helper/pluginutils/hclspecutils): Object keys imply Attr names, type strings are HCL type
// expressions, Literal values are HCL expressions evaluated without variables.
package main

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// specNode mirrors SpecNode in src/driver/config-schema.ts.
type specNode struct {
	Kind       string               `json:"kind"`
	Attributes map[string]*specNode `json:"attributes"`
	Name       string               `json:"name"`
	Type       string               `json:"type"`
	Required   bool                 `json:"required"`
	Primary    *specNode            `json:"primary"`
	Fallback   *specNode            `json:"fallback"`
	Value      string               `json:"value"`
}

func parseSpecs(data []byte) (map[string]hcldec.Spec, error) {
	var trees map[string]*specNode
	if err := json.Unmarshal(data, &trees); err != nil {
		return nil, fmt.Errorf("failed to parse specs: %w", err)
	}
	out := map[string]hcldec.Spec{}
	for name, tree := range trees {
		spec, err := toHcldec(tree, "")
		if err != nil {
			return nil, fmt.Errorf("spec %s: %w", name, err)
		}
		out[name] = spec
	}
	return out, nil
}

func toHcldec(node *specNode, impliedName string) (hcldec.Spec, error) {
	if node == nil {
		return nil, fmt.Errorf("missing spec node")
	}
	switch node.Kind {
	case "object":
		obj := hcldec.ObjectSpec{}
		for key, child := range node.Attributes {
			spec, err := toHcldec(child, key)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			obj[key] = spec
		}
		return obj, nil
	case "attr":
		name := node.Name
		if name == "" {
			name = impliedName
		}
		if name == "" {
			return nil, fmt.Errorf("attribute without a name")
		}
		expr, diags := hclsyntax.ParseExpression([]byte(node.Type), "type", hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			return nil, diags
		}
		ty, diags := typeexpr.TypeConstraint(expr)
		if diags.HasErrors() {
			return nil, diags
		}
		return &hcldec.AttrSpec{Name: name, Type: ty, Required: node.Required}, nil
	case "default":
		// Children of Default get no implied name, as in Nomad.
		primary, err := toHcldec(node.Primary, "")
		if err != nil {
			return nil, err
		}
		fallback, err := toHcldec(node.Fallback, "")
		if err != nil {
			return nil, err
		}
		return &hcldec.DefaultSpec{Primary: primary, Default: fallback}, nil
	case "literal":
		expr, diags := hclsyntax.ParseExpression([]byte(node.Value), "literal", hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			return nil, diags
		}
		val, diags := expr.Value(nil)
		if diags.HasErrors() {
			return nil, diags
		}
		return &hcldec.LiteralSpec{Value: val}, nil
	default:
		return nil, fmt.Errorf("unknown spec kind %q", node.Kind)
	}
}
