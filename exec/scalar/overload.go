package scalar

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// KernelFn computes a function over the visible rows of c (c.Sel, or every
// row). args are the evaluated arguments (length c.N); out has the result
// type and length c.N with no NULL bits set. A kernel writes only the
// visible rows of out and may mark them NULL. For strict overloads
// (NullCall false) the caller has already removed rows with a NULL argument
// from c's selection.
type KernelFn func(ec *exec.EvalCtx, args []*exec.Vec, c *exec.Chunk, out *exec.Vec) error

// Overload is one resolved signature of a built-in operator or function.
type Overload struct {
	// Name is the lower-case function name or operator name ("+", "u-",
	// "like", ...).
	Name string
	// Args are the argument types, after casting (only Family matters). A
	// TUnknown entry accepts any type unchanged ("any"); an unknown-typed
	// argument passed there is cast to text.
	Args []types.T
	// Ret is the result type.
	Ret types.T
	// Variadic means the last entry of Args may repeat (one or more times).
	Variadic bool
	// NullCall false means strict: a NULL in any argument gives NULL without
	// calling Fn. NullCall true means Fn sees NULL arguments itself.
	NullCall bool
	// Volatile marks functions whose result varies between calls (random).
	// Such calls are never constant-folded.
	Volatile bool
	// Fn is the vectorized kernel.
	Fn KernelFn
}

// ArgType returns the declared type of argument i (following Variadic).
func (o *Overload) ArgType(i int) types.T {
	if i >= len(o.Args) {
		return o.Args[len(o.Args)-1]
	}
	return o.Args[i]
}

// String renders the signature, e.g. "+(integer, integer) integer".
func (o *Overload) String() string {
	var b strings.Builder
	b.WriteString(o.Name)
	b.WriteByte('(')
	for i, a := range o.Args {
		if i > 0 {
			b.WriteString(", ")
		}
		if a.Family == types.Unknown {
			b.WriteString("any")
		} else {
			b.WriteString(a.String())
		}
	}
	if o.Variadic {
		b.WriteString("...")
	}
	b.WriteString(") ")
	b.WriteString(o.Ret.String())
	return b.String()
}

var (
	regMu    sync.RWMutex
	registry = map[string][]*Overload{}
)

// Register adds an overload to the catalogue. Built-ins register themselves
// at init; other packages may add functions the same way.
func Register(o *Overload) {
	regMu.Lock()
	defer regMu.Unlock()
	registry[o.Name] = append(registry[o.Name], o)
}

func reg(name string, args []types.T, ret types.T, fn KernelFn) *Overload {
	o := &Overload{Name: name, Args: args, Ret: ret, Fn: fn}
	Register(o)
	return o
}

// Overloads returns the registered overloads of name.
func Overloads(name string) []*Overload {
	regMu.RLock()
	defer regMu.RUnlock()
	return registry[strings.ToLower(name)]
}

// FunctionNames returns the sorted names of every registered function and
// operator.
func FunctionNames() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	ns := make([]string, 0, len(registry))
	for n := range registry {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// operatorNames maps internal operator names to their SQL spelling; a name
// not listed is an operator when it has no letters.
var operatorNames = map[string]string{
	"u-": "-", "u+": "+", "like": "~~", "not like": "!~~", "ilike": "~~*", "not ilike": "!~~*",
}

func isOperator(name string) bool {
	if _, ok := operatorNames[name]; ok {
		return true
	}
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r == '_' {
			return false
		}
	}
	return true
}

func opSpelling(name string) string {
	if s, ok := operatorNames[name]; ok {
		return s
	}
	return name
}

// category is PostgreSQL's type category (typcategory).
func category(f types.Family) byte {
	switch f {
	case types.Bool:
		return 'B'
	case types.Int16, types.Int32, types.Int64, types.Float32, types.Float64, types.Numeric:
		return 'N'
	case types.Text:
		return 'S'
	case types.Date, types.Time, types.Timestamp, types.Timestamptz:
		return 'D'
	case types.Interval:
		return 'T'
	case types.Unknown:
		return 'X'
	}
	return 'U'
}

func preferred(f types.Family) bool {
	switch f {
	case types.Bool, types.Float64, types.Text, types.Timestamptz, types.Interval:
		return true
	}
	return false
}

// ImplicitCastOK reports whether PostgreSQL casts from to to implicitly (in
// expressions), as pg_cast's castcontext 'i'.
func ImplicitCastOK(from, to types.Family) bool {
	if from == to {
		return true
	}
	switch from {
	case types.Unknown:
		return true
	case types.Int16:
		return to == types.Int32 || to == types.Int64 || to == types.Float32 || to == types.Float64 || to == types.Numeric
	case types.Int32:
		return to == types.Int64 || to == types.Float32 || to == types.Float64 || to == types.Numeric
	case types.Int64:
		return to == types.Float32 || to == types.Float64 || to == types.Numeric
	case types.Numeric:
		return to == types.Float32 || to == types.Float64
	case types.Float32:
		return to == types.Float64
	case types.Date:
		return to == types.Timestamp || to == types.Timestamptz
	case types.Timestamp:
		return to == types.Timestamptz
	case types.Time:
		return to == types.Interval
	}
	return false
}

type cand struct {
	o      *Overload
	params []types.T
}

// Resolve picks the overload of name for the given argument types the way
// PostgreSQL's func_select_candidate / oper_select_candidate do (exact
// match; unknown operand assumed to be the other operand's type; implicit
// casts with the most exact matches, then the most preferred types, then
// string category for unknown arguments). castTo[i] is the type argument i
// must be cast to (args[i] itself when no cast is needed). Errors: 42883
// when nothing matches, 42725 when the choice is ambiguous.
func Resolve(name string, args []types.T) (*Overload, []types.T, error) {
	name = strings.ToLower(name)
	switch name {
	case "ceiling":
		name = "ceil"
	case "pow":
		name = "power"
	case "character_length":
		name = "char_length"
	case "substring":
		name = "substr"
	case "current_timestamp", "transaction_timestamp", "statement_timestamp":
		name = "now"
	case "trim":
		name = "btrim"
	}
	all := Overloads(name)
	var cs []cand
	for _, o := range all {
		if len(args) != len(o.Args) && !(o.Variadic && len(args) >= len(o.Args)) {
			continue
		}
		ps := make([]types.T, len(args))
		ok := true
		for i, a := range args {
			p := o.ArgType(i)
			ps[i] = p
			if p.Family == types.Unknown {
				continue
			}
			if !ImplicitCastOK(a.Family, p.Family) {
				ok = false
				break
			}
		}
		if ok {
			cs = append(cs, cand{o, ps})
		}
	}
	finish := func(c cand) (*Overload, []types.T, error) {
		out := make([]types.T, len(args))
		for i, a := range args {
			p := c.params[i]
			switch {
			case p.Family == types.Unknown && a.Family == types.Unknown:
				out[i] = types.TText
			case p.Family == types.Unknown || p.Family == a.Family:
				out[i] = a
			default:
				out[i] = p
			}
		}
		return c.o, out, nil
	}
	// Exact match (an unknown operand of a binary operator taken as the other
	// operand's type).
	look := append([]types.T(nil), args...)
	if isOperator(name) && len(args) == 2 {
		if look[0].Family == types.Unknown && look[1].Family != types.Unknown {
			look[0] = look[1]
		} else if look[1].Family == types.Unknown && look[0].Family != types.Unknown {
			look[1] = look[0]
		}
	}
	for _, c := range cs {
		exact := true
		for i, a := range look {
			if c.params[i].Family != a.Family || a.Family == types.Unknown {
				exact = false
				break
			}
		}
		if exact {
			return finish(c)
		}
	}
	if len(cs) == 1 {
		return finish(cs[0])
	}
	if len(cs) > 1 {
		// Most exact matches ("any" counts as exact for known arguments).
		cs = keepMax(cs, func(c cand) int {
			n := 0
			for i, a := range args {
				if a.Family != types.Unknown && (c.params[i].Family == a.Family || c.params[i].Family == types.Unknown) {
					n++
				}
			}
			return n
		})
	}
	if len(cs) > 1 {
		// Most preferred types (of the argument's category) where a cast is
		// needed.
		cs = keepMax(cs, func(c cand) int {
			n := 0
			for i, a := range args {
				p := c.params[i].Family
				if a.Family != types.Unknown && p != a.Family && category(p) == category(a.Family) && preferred(p) {
					n++
				}
			}
			return n
		})
	}
	if len(cs) > 1 {
		// Unknown arguments: prefer the string category, else a single
		// category, preferring its preferred type.
		for i, a := range args {
			if a.Family != types.Unknown || len(cs) <= 1 {
				continue
			}
			hasS, cats := false, map[byte]bool{}
			for _, c := range cs {
				cat := category(c.params[i].Family)
				cats[cat] = true
				if cat == 'S' {
					hasS = true
				}
			}
			var next []cand
			if hasS {
				for _, c := range cs {
					if category(c.params[i].Family) == 'S' {
						next = append(next, c)
					}
				}
			} else if len(cats) == 1 {
				anyPref := false
				for _, c := range cs {
					if preferred(c.params[i].Family) {
						anyPref = true
					}
				}
				for _, c := range cs {
					if !anyPref || preferred(c.params[i].Family) {
						next = append(next, c)
					}
				}
			} else {
				next = cs
			}
			if len(next) > 0 {
				cs = next
			}
		}
	}
	if len(cs) > 1 {
		// Unknown arguments when every known argument has the same type:
		// assume they are of that type too.
		var known types.Family
		same, anyUnknown := true, false
		for _, a := range args {
			if a.Family == types.Unknown {
				anyUnknown = true
			} else if known == types.Unknown {
				known = a.Family
			} else if a.Family != known {
				same = false
			}
		}
		if anyUnknown && same && known != types.Unknown {
			var next []cand
			for _, c := range cs {
				ok := true
				for i, a := range args {
					if a.Family == types.Unknown && c.params[i].Family != known {
						ok = false
					}
				}
				if ok {
					next = append(next, c)
				}
			}
			if len(next) > 0 {
				cs = next
			}
		}
	}
	switch len(cs) {
	case 1:
		return finish(cs[0])
	case 0:
		if isOperator(name) {
			return nil, nil, &types.Error{Code: types.CodeUndefinedFunction,
				Message: "operator does not exist: " + opSig(name, args),
				Hint:    "No operator matches the given name and argument types. You might need to add explicit type casts."}
		}
		return nil, nil, &types.Error{Code: types.CodeUndefinedFunction,
			Message: fmt.Sprintf("function %s does not exist", funcSig(name, args)),
			Hint:    "No function matches the given name and argument types. You might need to add explicit type casts."}
	}
	if isOperator(name) {
		return nil, nil, &types.Error{Code: types.CodeAmbiguousFunction,
			Message: "operator is not unique: " + opSig(name, args),
			Hint:    "Could not choose a best candidate operator. You might need to add explicit type casts."}
	}
	return nil, nil, &types.Error{Code: types.CodeAmbiguousFunction,
		Message: fmt.Sprintf("function %s is not unique", funcSig(name, args)),
		Hint:    "Could not choose a best candidate function. You might need to add explicit type casts."}
}

func keepMax(cs []cand, score func(cand) int) []cand {
	best := -1
	var out []cand
	for _, c := range cs {
		s := score(c)
		if s > best {
			best, out = s, out[:0]
		}
		if s == best {
			out = append(out, c)
		}
	}
	return out
}

func opSig(name string, args []types.T) string {
	if len(args) == 1 {
		return opSpelling(name) + " " + args[0].String()
	}
	if len(args) == 2 {
		return args[0].String() + " " + opSpelling(name) + " " + args[1].String()
	}
	return funcSig(name, args)
}

func funcSig(name string, args []types.T) string {
	ss := make([]string, len(args))
	for i, a := range args {
		ss[i] = a.String()
	}
	return name + "(" + strings.Join(ss, ", ") + ")"
}

// Func is a call of a resolved overload. Arguments must already have the
// overload's argument types (wrap them in Cast nodes as Resolve's castTo
// says).
type Func struct {
	O    *Overload
	Args []exec.Expr

	argv     []*exec.Vec
	nullable []*exec.Vec
	out      *exec.Vec
	sel      []int
	scratch  *exec.Chunk
}

// NewFunc returns a call of o on args.
func NewFunc(o *Overload, args []exec.Expr) exec.Expr {
	return &Func{O: o, Args: args}
}

// Type returns the overload's result type.
func (f *Func) Type() types.T { return f.O.Ret }

// Eval evaluates the arguments, then the kernel on the visible rows (rows
// with a NULL argument are NULL without calling a strict kernel).
func (f *Func) Eval(ec *exec.EvalCtx, c *exec.Chunk) (*exec.Vec, error) {
	if cap(f.argv) < len(f.Args) {
		f.argv = make([]*exec.Vec, len(f.Args))
	}
	f.argv = f.argv[:len(f.Args)]
	for i, a := range f.Args {
		v, err := a.Eval(ec, c)
		if err != nil {
			return nil, err
		}
		f.argv[i] = v
	}
	out := prepOut(&f.out, f.O.Ret, c.N)
	cc := c
	if !f.O.NullCall && anyNulls(f.argv) {
		sel := f.sel[:0]
		f.nullable = f.nullable[:0]
		for _, v := range f.argv {
			if v.Nulls.MaybeNulls {
				f.nullable = append(f.nullable, v)
			}
		}
		n := c.Len()
		for k := 0; k < n; k++ {
			r := c.Row(k)
			null := false
			for _, v := range f.nullable {
				if v.Nulls.IsNull(r) {
					null = true
					break
				}
			}
			if null {
				out.Nulls.SetNull(r)
			} else {
				sel = append(sel, r)
			}
		}
		f.sel = sel
		if len(sel) == 0 {
			return out, nil
		}
		cc = withSel(&f.scratch, c, sel)
	}
	if err := f.O.Fn(ec, f.argv, cc, out); err != nil {
		return nil, err
	}
	return out, nil
}

// String renders the call as SQL.
func (f *Func) String() string {
	if isOperator(f.O.Name) {
		if len(f.Args) == 1 {
			return "(" + opSpelling(f.O.Name) + f.Args[0].String() + ")"
		}
		if len(f.Args) == 2 {
			op := f.O.Name
			switch op {
			case "like", "not like", "ilike", "not ilike":
				op = strings.ToUpper(op)
			}
			return "(" + f.Args[0].String() + " " + op + " " + f.Args[1].String() + ")"
		}
	}
	ss := make([]string, len(f.Args))
	for i, a := range f.Args {
		ss[i] = a.String()
	}
	return f.O.Name + "(" + strings.Join(ss, ", ") + ")"
}
