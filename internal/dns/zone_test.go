package dns

import "testing"

func TestSplitFirst(t *testing.T) {
	cases := []struct{ name, label, rest string }{
		{"a.example.com.", "a", "example.com."},
		{"com.", "com.", "."},
		{".", ".", "."},
		{`a\.b.example.`, `a\.b`, "example."},
		{`a\\.example.`, `a\\`, "example."},
		{"*.x.", "*", "x."},
	}
	for _, c := range cases {
		if label, rest := splitFirst(c.name); label != c.label || rest != c.rest {
			t.Errorf("splitFirst(%q): got %q, %q; want %q, %q", c.name, label, rest, c.label, c.rest)
		}
	}
}
