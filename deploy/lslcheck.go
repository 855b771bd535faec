package deploy

import (
	"fmt"
	"slices"
	"strings"
)

// CheckLSL checks that src is a sequence of LSL section_layout definitions as the TASKING
// linker script language reference defines them (section "Syntax of the Linker Script
// Language", section placement definition), the form a fragment included in a derivative
// block takes:
//
//	section_layout_def ::= section_layout [space_ref] [( layout_spec {, layout_spec} )] { section_statement* }
//	space_ref          ::= [proc_name] : [core_name] : space_name
//	section_statement  ::= assignment ; | select_section ; | special_section ; | { section_statement* }
//	                     | group_descr | if ( expr ) section_statement [else section_statement]
//	                     | section "name" ( section_spec {, section_spec} ) { section_statement* }
//	assignment         ::= "symbol" (= | :=) expr
//	select_section     ::= select [ref_tree] ["pattern"] [( selection {, selection} )]
//	special_section    ::= (heap | stack | reserved | copytable) ["name"] [( spec {, spec} )]
//	group_descr        ::= group [name] [( group_spec {, group_spec} )] section_statement
//	group_spec         ::= align = expr | attributes = attrs | copy | nocopy | fill [= expr]
//	                     | ordered | contiguous | clustered | overlay | allow_cross_references
//	                     | load_addr [= addr] | run_addr = addr {| addr} | page [= expr] | priority = expr
//	addr               ::= expr | mem:[proc:]name[/map] [[ expr ]] | [ expr .. expr ]
//
// Expressions are C-like over numbers (with k, M, G suffixes), quoted symbol names,
// built-in calls such as sizeof(group:g) and addressof(mem:m), and the operators of the
// reference. Preprocessor directives are refused: a fragment must be self-contained. When
// memories is non-empty, every mem:NAME must be one of them. Errors give line:column.
func CheckLSL(src []byte, memories []string) error {
	toks, err := lexLSL(string(src))
	if err != nil {
		return err
	}
	p := &lslParser{toks: toks, memories: memories, groups: map[string]bool{}}
	if len(toks) == 1 {
		return p.errf("empty LSL: want at least one section_layout")
	}
	for !p.at(tEOF, "") {
		if err := p.sectionLayout(); err != nil {
			return err
		}
	}
	return nil
}

type lslParser struct {
	toks     []lslTok
	pos      int
	memories []string
	groups   map[string]bool
	depth    int
}

func (p *lslParser) peek() lslTok { return p.toks[p.pos] }
func (p *lslParser) next() lslTok {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}
func (p *lslParser) at(k lslTokKind, text string) bool {
	t := p.peek()
	return t.kind == k && (text == "" || t.text == text)
}
func (p *lslParser) accept(k lslTokKind, text string) bool {
	if p.at(k, text) {
		p.next()
		return true
	}
	return false
}
func (p *lslParser) errf(format string, args ...any) error {
	t := p.peek()
	what := t.text
	if t.kind == tEOF {
		what = "end of input"
	}
	return fmt.Errorf("lsl %d:%d (at %q): %s", t.line, t.col, what, fmt.Sprintf(format, args...))
}
func (p *lslParser) expect(k lslTokKind, text string) error {
	if !p.accept(k, text) {
		return p.errf("want %q", text)
	}
	return nil
}

// seq runs parsing steps in order and stops at the first error.
func seq(steps ...func() error) error {
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// punct is the step that expects the punctuator text.
func (p *lslParser) punct(text string) func() error {
	return func() error { return p.expect(tPunct, text) }
}

func (p *lslParser) sectionLayout() error {
	if !p.accept(tIdent, "section_layout") {
		return p.errf("want section_layout")
	}
	// space_ref: [proc] : [core] : space
	if p.at(tIdent, "") || p.at(tPunct, ":") {
		p.accept(tIdent, "")
		if err := p.expect(tPunct, ":"); err != nil {
			return err
		}
		p.accept(tIdent, "")
		if err := p.expect(tPunct, ":"); err != nil {
			return err
		}
		if !p.accept(tIdent, "") {
			return p.errf("want an address space name in the space reference")
		}
	}
	if p.accept(tPunct, "(") {
		if err := p.specList(p.layoutSpec); err != nil {
			return err
		}
	}
	return p.block()
}

func (p *lslParser) layoutSpec() error {
	switch t := p.next(); t.text {
	case "locate_direction", "direction":
		if err := p.expect(tPunct, "="); err != nil {
			return err
		}
		if !p.accept(tIdent, "low_to_high") && !p.accept(tIdent, "high_to_low") {
			return p.errf("want low_to_high or high_to_low")
		}
		return nil
	default:
		p.pos--
		return p.errf("unknown section_layout property")
	}
}

// specList parses "spec {, spec} )" after the opening parenthesis.
func (p *lslParser) specList(spec func() error) error {
	for {
		if err := spec(); err != nil {
			return err
		}
		if p.accept(tPunct, ")") {
			return nil
		}
		if err := p.expect(tPunct, ","); err != nil {
			return err
		}
	}
}

func (p *lslParser) block() error {
	if err := p.expect(tPunct, "{"); err != nil {
		return err
	}
	p.depth++
	if p.depth > 64 {
		return p.errf("nesting deeper than 64")
	}
	defer func() { p.depth-- }()
	for !p.accept(tPunct, "}") {
		if p.at(tEOF, "") {
			return p.errf("want \"}\"")
		}
		if err := p.statement(); err != nil {
			return err
		}
	}
	return nil
}

func (p *lslParser) statement() error {
	t := p.peek()
	switch {
	case t.kind == tPunct && t.text == "{":
		return p.block()
	case t.kind == tString:
		p.next()
		if !p.accept(tPunct, "=") && !p.accept(tPunct, ":=") {
			return p.errf("want = or := in a symbol assignment")
		}
		if err := p.expr(); err != nil {
			return err
		}
		return p.expect(tPunct, ";")
	case t.kind != tIdent:
		return p.errf("want a section statement")
	}
	switch t.text {
	case "select":
		p.next()
		p.accept(tIdent, "ref_tree")
		hasPattern := p.accept(tString, "")
		if p.accept(tPunct, "(") {
			if err := p.specList(p.selection); err != nil {
				return err
			}
		} else if !hasPattern {
			return p.errf("select needs a section name pattern or selections")
		}
		return p.expect(tPunct, ";")
	case "heap", "stack", "reserved", "copytable":
		p.next()
		p.accept(tString, "")
		if p.accept(tPunct, "(") {
			if err := p.specList(p.property); err != nil {
				return err
			}
		}
		return p.expect(tPunct, ";")
	case "group":
		p.next()
		if g, ok := p.peek(), p.accept(tIdent, ""); ok {
			if p.groups[g.text] {
				p.pos--
				return p.errf("group %s defined twice", g.text)
			}
			p.groups[g.text] = true
		}
		if p.accept(tPunct, "(") {
			if err := p.specList(p.groupSpec); err != nil {
				return err
			}
		}
		return p.statement()
	case "if":
		p.next()
		if err := seq(p.punct("("), p.expr, p.punct(")"), p.statement); err != nil {
			return err
		}
		if p.accept(tIdent, "else") {
			return p.statement()
		}
		return nil
	case "section":
		p.next()
		if !p.accept(tString, "") {
			return p.errf("section needs a quoted name")
		}
		if err := p.expect(tPunct, "("); err != nil {
			return err
		}
		if err := p.specList(p.property); err != nil {
			return err
		}
		return p.block()
	}
	return p.errf("unknown section statement %q", t.text)
}

// selection is attributes=[+-]rwx..., or a property such as size = expr.
func (p *lslParser) selection() error { return p.property() }

// property is NAME [= value], where value is an expression or an attribute string.
func (p *lslParser) property() error {
	if !p.accept(tIdent, "") {
		return p.errf("want a property name")
	}
	if p.accept(tPunct, "=") {
		return p.valueOrAttrs()
	}
	return nil
}

// groupSpecs are the group properties of the reference.
var groupSpecs = map[string]string{ // name -> "" (flag), "=" (needs a value), "?" (optional value), "addr"
	"align": "=", "attributes": "attrs", "copy": "", "nocopy": "", "fill": "?", "ordered": "",
	"contiguous": "", "clustered": "", "overlay": "", "allow_cross_references": "", "load_addr": "addr?",
	"run_addr": "addr", "page": "?", "page_size": "=", "priority": "=", "nopage": "", "safety_class": "=",
	"group_limit": "=",
}

func (p *lslParser) groupSpec() error {
	t := p.peek()
	kind, ok := groupSpecs[t.text]
	if t.kind != tIdent || !ok {
		return p.errf("unknown group property")
	}
	p.next()
	// the value parser and whether "= value" may be left out
	value, optional := p.expr, true
	switch kind {
	case "":
		return nil
	case "=":
		optional = false
	case "attrs":
		value, optional = p.attrs, false
	case "addr":
		value, optional = p.addrs, false
	case "addr?":
		value = p.addrs
	}
	if p.accept(tPunct, "=") {
		return value()
	}
	if optional {
		return nil
	}
	return p.errf("want \"=\" after %s", t.text)
}

// attrs parses an attribute set such as rw, rx, +w, -x: letters r, w, x, i, s, b.
func (p *lslParser) attrs() error {
	p.accept(tPunct, "+")
	p.accept(tPunct, "-")
	t := p.peek()
	if t.kind != tIdent || strings.Trim(t.text, "rwxisb") != "" {
		return p.errf("want section attributes (letters r, w, x, i, s, b)")
	}
	p.next()
	return nil
}

func (p *lslParser) valueOrAttrs() error {
	t := p.peek()
	if (t.kind == tPunct && (t.text == "+" || t.text == "-")) || (t.kind == tIdent && strings.Trim(t.text, "rwxisb") == "" && !p.isCall()) {
		return p.attrs()
	}
	return p.expr()
}

// addrs parses addr {| addr}.
func (p *lslParser) addrs() error {
	for {
		if err := p.addr(); err != nil {
			return err
		}
		if !p.accept(tPunct, "|") {
			return nil
		}
	}
}

func (p *lslParser) addr() error {
	if p.accept(tPunct, "[") { // address range [lo .. hi]
		return seq(p.expr, p.punct(".."), p.expr, p.punct("]"))
	}
	if p.at(tIdent, "mem") {
		return p.memRef()
	}
	return p.expr()
}

// memRef parses mem:[proc:]name[/map] [[ expr ]] and checks the memory name.
func (p *lslParser) memRef() error {
	p.next()
	if err := p.expect(tPunct, ":"); err != nil {
		return err
	}
	name := p.peek()
	if !p.accept(tIdent, "") {
		return p.errf("want a memory name after mem:")
	}
	if p.accept(tPunct, ":") {
		name = p.peek()
		if !p.accept(tIdent, "") {
			return p.errf("want a memory name after mem:%s:", name.text)
		}
	}
	if len(p.memories) > 0 && !slices.Contains(p.memories, name.text) {
		p.pos--
		return p.errf("memory %s is not one of %v", name.text, p.memories)
	}
	if p.accept(tPunct, "/") && !p.accept(tIdent, "") {
		return p.errf("want a map name after /")
	}
	if p.accept(tPunct, "[") {
		if err := p.expr(); err != nil {
			return err
		}
		return p.expect(tPunct, "]")
	}
	return nil
}
