package check

import (
	"errors"
	"fmt"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/rights/internal/domain"
)

// Limits on conditions.
const (
	// MaxConditionLength is the longest condition accepted (the API's limit too).
	MaxConditionLength = 2000
	// DefaultCostLimit bounds one evaluation of one condition, in CEL cost units (about
	// one per operation, more for string and list work). Real conditions cost tens; a
	// nested comprehension over a large context list hits the limit and fails, which
	// denies the check (CONDITION_FALSE) instead of stalling it.
	DefaultCostLimit = 10_000
	// DefaultMaxPrograms bounds the compiled-program cache.
	DefaultMaxPrograms = 4096
)

// conditionEnv is the one CEL environment of grant conditions: `context`, the caller's
// free-form map, and `request`, the check itself (organisation, purpose, delivery_form,
// region as strings; time as a timestamp).
var conditionEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("context", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("request", cel.MapType(cel.StringType, cel.DynType)),
		// Context numbers arrive as doubles (google.protobuf.Struct); let `context.n > 3` work.
		cel.CrossTypeNumericComparisons(true),
		cel.ParserExpressionSizeLimit(MaxConditionLength),
		cel.ParserRecursionLimit(64),
	)
})

// compile type-checks expr and returns its AST; the error says what is wrong in terms a
// grantor can act on.
func compile(expr string) (*cel.Ast, error) {
	if len(expr) > MaxConditionLength {
		return nil, fmt.Errorf("longer than %d bytes", MaxConditionLength)
	}
	env, err := conditionEnv()
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, fmt.Errorf("the condition is of type %s; it must be a bool", ast.OutputType())
	}
	return ast, nil
}

// CompileCondition checks that expr is a valid grant condition: a CEL expression over
// `context` (map(string, dyn)) and `request` (map(string, dyn): organisation, purpose,
// delivery_form, region, time) that type-checks to bool. The error is INVALID_ARGUMENT
// with reason ERROR_REASON_INVALID_CONDITION on the field grant.condition.
func CompileCondition(expr string) error {
	if _, err := compile(expr); err != nil {
		return errs.InvalidArgument(domain.ReasonInvalidCondition,
			errs.Violation("grant.condition", err.Error(), "条件不是有效的 CEL 布尔表达式："+err.Error()))
	}
	return nil
}

// Conditions evaluates grant conditions. It keeps the compiled programs, keyed by the
// expression text, in a bounded cache: two generations of at most max/2 programs each; a
// lookup that finds a program in the older generation moves it to the newer, and when
// the newer is full it becomes the older and the oldest is dropped. Recently used
// programs so stay, at O(1) cost and without a list to maintain. A compile error is
// cached too, so a stored bad condition is not recompiled on every check.
type Conditions struct {
	costLimit uint64
	half      int

	mu       sync.RWMutex
	cur, old map[string]*program
}

type program struct {
	prg cel.Program
	err error
}

// NewConditions returns an evaluator whose cache holds up to maxPrograms programs
// (DefaultMaxPrograms if ≤ 0) and whose evaluations stop at costLimit (DefaultCostLimit
// if 0).
func NewConditions(maxPrograms int, costLimit uint64) *Conditions {
	if maxPrograms <= 0 {
		maxPrograms = DefaultMaxPrograms
	}
	if costLimit == 0 {
		costLimit = DefaultCostLimit
	}
	half := max(maxPrograms/2, 1)
	return &Conditions{costLimit: costLimit, half: half, cur: map[string]*program{}, old: map[string]*program{}}
}

// Len returns the number of programs cached.
func (c *Conditions) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.cur) + len(c.old)
}

func (c *Conditions) program(expr string) *program {
	c.mu.RLock()
	p := c.cur[expr]
	c.mu.RUnlock()
	if p != nil {
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p = c.cur[expr]; p != nil {
		return p
	}
	if p = c.old[expr]; p == nil {
		// Compiling under the lock keeps one compile per expression; compiles are rare
		// (new conditions) and take microseconds.
		p = &program{}
		var ast *cel.Ast
		if ast, p.err = compile(expr); p.err == nil {
			env, _ := conditionEnv()
			p.prg, p.err = env.Program(ast, cel.CostLimit(c.costLimit), cel.EvalOptions(cel.OptOptimize))
		}
	}
	if len(c.cur) >= c.half {
		c.old, c.cur = c.cur, make(map[string]*program, c.half)
	}
	c.cur[expr] = p
	return p
}

// Eval is a domain.ConditionFunc: it evaluates g's condition for in (true when g has
// none). An invalid condition, a missing context key, a type mismatch or an evaluation
// over the cost limit is an error, which domain.Evaluate treats as a false condition.
func (c *Conditions) Eval(g *domain.Grant, in domain.CheckInput) (bool, error) {
	if g.Condition == "" {
		return true, nil
	}
	p := c.program(g.Condition)
	if p.err != nil {
		return false, fmt.Errorf("invalid condition: %w", p.err)
	}
	ctxMap := in.Context
	if ctxMap == nil {
		ctxMap = map[string]any{}
	}
	out, _, err := p.prg.Eval(map[string]any{
		"context": ctxMap,
		"request": map[string]any{
			"organisation":  in.Organisation,
			"purpose":       in.Purpose,
			"delivery_form": in.DeliveryForm,
			"region":        in.Region,
			"time":          in.At.UTC(),
		},
	})
	if err != nil {
		return false, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, errors.New("the condition did not evaluate to a bool")
	}
	return bool(b), nil
}

var _ domain.ConditionFunc = (*Conditions)(nil).Eval
