package deploy

// LSL expressions: binary and unary operators, calls and their arguments.

func (p *lslParser) isCall() bool {
	return p.pos+1 < len(p.toks) && p.toks[p.pos+1].kind == tPunct && p.toks[p.pos+1].text == "("
}

// lslBinary are the binary operators by precedence level, loosest first.
var lslBinary = [][]string{{"||"}, {"&&"}, {"|"}, {"^"}, {"&"}, {"==", "!="}, {"<", ">", "<=", ">="}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"}}

func (p *lslParser) expr() error {
	if err := p.binary(0); err != nil {
		return err
	}
	if p.accept(tPunct, "?") {
		return seq(p.expr, p.punct(":"), p.expr)
	}
	return nil
}

func (p *lslParser) binary(level int) error {
	if level == len(lslBinary) {
		return p.unary()
	}
	if err := p.binary(level + 1); err != nil {
		return err
	}
	for {
		matched := false
		for _, op := range lslBinary[level] {
			if p.accept(tPunct, op) {
				matched = true
				break
			}
		}
		if !matched {
			return nil
		}
		if err := p.binary(level + 1); err != nil {
			return err
		}
	}
}

func (p *lslParser) unary() error {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 256 {
		return p.errf("expression nested too deeply")
	}
	if p.accept(tPunct, "-") || p.accept(tPunct, "!") || p.accept(tPunct, "~") || p.accept(tPunct, "+") {
		return p.unary()
	}
	t := p.next()
	switch t.kind {
	case tNumber, tString:
		return nil
	case tPunct:
		if t.text == "(" {
			if err := p.expr(); err != nil {
				return err
			}
			return p.expect(tPunct, ")")
		}
	case tIdent:
		if !p.accept(tPunct, "(") {
			return nil // a constant name (defined by the including file)
		}
		if p.accept(tPunct, ")") {
			return nil
		}
		for {
			if err := p.callArg(); err != nil {
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
	p.pos--
	return p.errf("want an expression")
}

// callArg is an expression or a reference such as group:name, mem:name, section:"name".
func (p *lslParser) callArg() error {
	if p.at(tIdent, "mem") {
		return p.memRef()
	}
	t := p.peek()
	if t.kind == tIdent && p.pos+1 < len(p.toks) && p.toks[p.pos+1].text == ":" {
		p.pos += 2
		if !p.accept(tIdent, "") && !p.accept(tString, "") {
			return p.errf("want a name after %s:", t.text)
		}
		return nil
	}
	return p.expr()
}
