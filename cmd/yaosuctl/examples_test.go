package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
)

// Regression (issue 13): help examples named codes that do not exist (`--code
// materials_incomplete`, `--code core_data`). Every line of every Example in the command
// tree must parse as the command it names, with flags and arguments the command accepts,
// and every code it names must be in the registry's code lists, read from a real server.
func TestEveryHelpExampleParsesAndNamesRealCodes(t *testing.T) {
	lists := registryCodeLists(t)
	var checked int
	walkCommands(newRootCmd(func(string) string { return "" }), func(c *cobra.Command) {
		for _, line := range exampleLines(c.Example) {
			invocations, err := shellCommands(line)
			require.NoError(t, err, "%s: example %q", c.CommandPath(), line)
			for _, args := range invocations {
				checked++
				if err := checkExample(args, lists); err != nil {
					t.Errorf("%s: example %q: %v", c.CommandPath(), line, err)
				}
			}
		}
	})
	require.Greater(t, checked, 100, "the walk found the examples")
}

// The checker itself: it must reject what the issue found, and what parses wrongly.
func TestCheckExampleRejectsBadExamples(t *testing.T) {
	lists := newCodeLists(&catalogv1.ListCodeListsResponse{Version: "t", Lists: []*catalogv1.CodeList{
		{List: "refusal_reason", Codes: []*catalogv1.Code{{Code: "CORE_DATA", LabelZh: "属于核心数据"}}},
		{List: "sector", Codes: []*catalogv1.Code{{Code: "TRANSPORT", LabelZh: "交通运输"}}},
		{List: "update_cycle", Codes: []*catalogv1.Code{{Code: "DAILY", LabelZh: "每日", LabelEn: "Daily"}}},
	}})
	for _, tc := range []struct{ line, want string }{
		{"yaosuctl application review 0198c6f2-... refuse --code core_data --reason x", `"core_data" is not in code list refusal_reason`},
		{"yaosuctl application not-accept 0198c6f2-... --code materials_incomplete --reason x", `"materials_incomplete" is not in code list refusal_reason`},
		{"yaosuctl rights check 0198c6f2-... --purpose 交通 --form api", `"交通" is not in code list sector`},
		{"yaosuctl rights check 0198c6f2-... --purpose TRANSPORT --form fax", `--form`},
		{"yaosuctl asset get", "takes one asset name"},
		{"yaosuctl asset lst", "names no command"},
		{"yaosuctl asset list --colour red", "unknown flag: --colour"},
		{"yaosuctl asset update x --set grade=superb", `grade`},
		{"yaosuctl asset update x --set nosuchfield=1", `no field "nosuchfield"`},
		{"yaosuctl asset update x --set update_cycle=每五分钟", `"每五分钟" is neither a code nor a label of code list update_cycle`},
		{"yaosuctl application review x refuse --code 属于核心数据 --reason x", `"属于核心数据" is not in code list refusal_reason`},
	} {
		cmds, err := shellCommands(tc.line)
		require.NoError(t, err)
		require.Len(t, cmds, 1)
		err = checkExample(cmds[0], lists)
		require.ErrorContains(t, err, tc.want, tc.line)
	}
	require.NoError(t, checkExample([]string{"yaosuctl", "application", "review", "x", "refuse", "--code", "CORE_DATA", "--reason", "x"}, lists))
}

func TestShellCommands(t *testing.T) {
	for line, want := range map[string][][]string{
		`yaosuctl a b 'c d' "e f"   # comment`: {{"yaosuctl", "a", "b", "c d", "e f"}},
		`yaosuctl asset get x -o json > a.json && $EDITOR a.json && yaosuctl asset update x --from-file a.json`: {
			{"yaosuctl", "asset", "get", "x", "-o", "json"}, {"yaosuctl", "asset", "update", "x", "--from-file", "a.json"}},
		`if yaosuctl rights check x --purpose T --form api > /dev/null; then echo allowed; fi`: {
			{"yaosuctl", "rights", "check", "x", "--purpose", "T", "--form", "api"}},
		`yaosuctl cert verify c --key "$(yaosuctl cert key)"`: {{"yaosuctl", "cert", "verify", "c", "--key", "$(yaosuctl cert key)"}},
		`yaosuctl events tail | jq .`:                         {{"yaosuctl", "events", "tail"}},
		`.bin/yaosuctl whoami 2>/dev/null`:                    {{"yaosuctl", "whoami"}},
		`yaosuctl asset list --query 'a#b'`:                   {{"yaosuctl", "asset", "list", "--query", "a#b"}},
	} {
		got, err := shellCommands(line)
		require.NoError(t, err, line)
		require.Equal(t, want, got, line)
	}
	_, err := shellCommands(`yaosuctl 'unterminated`)
	require.Error(t, err)
}

// walkCommands calls fn for c and every command below it.
func walkCommands(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walkCommands(sub, fn)
	}
}

// exampleLines are an Example's command lines, continuation lines joined.
func exampleLines(example string) []string {
	var out []string
	var cur strings.Builder
	for _, l := range strings.Split(example, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\") + " ")
			continue
		}
		cur.WriteString(l)
		out = append(out, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// shellCommands splits a shell line into the yaosuctl invocations it holds, the way sh
// would word-split them: quotes, backslashes, comments, the operators && || ; | and
// redirections; `$(...)` is kept as one word. Segments that do not run yaosuctl (echo,
// $EDITOR, if/then/fi) are dropped; the program name becomes "yaosuctl".
func shellCommands(line string) ([][]string, error) {
	words, err := shellWords(line)
	if err != nil {
		return nil, err
	}
	var out [][]string
	var seg []string
	flush := func() {
		for len(seg) > 0 && (seg[0] == "if" || seg[0] == "then" || seg[0] == "!" || seg[0] == "else") {
			seg = seg[1:]
		}
		if len(seg) > 0 && (seg[0] == "yaosuctl" || strings.HasSuffix(seg[0], "/yaosuctl")) {
			seg[0] = "yaosuctl"
			out = append(out, seg)
		}
		seg = nil
	}
	for i := 0; i < len(words); i++ {
		switch w := words[i]; {
		case w.op && (w.s == "&&" || w.s == "||" || w.s == ";" || w.s == "|"):
			flush()
		case w.op: // a redirection: drop it and its target
			i++
		default:
			seg = append(seg, w.s)
		}
	}
	flush()
	return out, nil
}

type shellWord struct {
	s  string
	op bool
}

// shellWords tokenises line (see shellCommands).
func shellWords(line string) ([]shellWord, error) {
	var out []shellWord
	var cur strings.Builder
	inWord := false
	emit := func() {
		if inWord {
			out = append(out, shellWord{s: cur.String()})
			cur.Reset()
			inWord = false
		}
	}
	r := []rune(line)
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == ' ' || c == '\t':
			emit()
		case c == '#' && !inWord:
			return out, nil
		case c == '\'':
			j := indexRune(r, i+1, '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", line)
			}
			cur.WriteString(string(r[i+1 : j]))
			inWord, i = true, j
		case c == '"':
			j := i + 1
			for ; j < len(r) && r[j] != '"'; j++ {
				if r[j] == '\\' && j+1 < len(r) {
					j++
				}
				cur.WriteRune(r[j])
			}
			if j >= len(r) {
				return nil, fmt.Errorf("unterminated \" in %q", line)
			}
			inWord, i = true, j
		case c == '\\' && i+1 < len(r):
			i++
			cur.WriteRune(r[i])
			inWord = true
		case c == '$' && i+1 < len(r) && r[i+1] == '(':
			j := indexRune(r, i, ')')
			if j < 0 {
				return nil, fmt.Errorf("unterminated $( in %q", line)
			}
			cur.WriteString(string(r[i : j+1]))
			inWord, i = true, j
		case strings.ContainsRune("&|;<>", c):
			redirFD := inWord && cur.Len() == 1 && (cur.String() == "1" || cur.String() == "2") && c == '>'
			if redirFD {
				cur.Reset()
				inWord = false
			}
			emit()
			op := string(c)
			if i+1 < len(r) && (r[i+1] == c) && c != ';' {
				op += string(c)
				i++
			}
			out = append(out, shellWord{s: op, op: true})
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	emit()
	return out, nil
}

func indexRune(r []rune, from int, c rune) int {
	for j := from; j < len(r); j++ {
		if r[j] == c {
			return j
		}
	}
	return -1
}

// codeLists are the registry's code lists: the codes of each list (what the server stores
// and compares) and the code book the CLI resolves --set labels with.
type codeLists struct {
	codes map[string]map[string]bool
	book  *codeBook
}

// has reports whether code is a code of list, exactly as the server compares it.
func (l codeLists) has(list, code string) bool { return l.codes[list][code] }

func newCodeLists(resp *catalogv1.ListCodeListsResponse) codeLists {
	l := codeLists{codes: map[string]map[string]bool{}, book: newCodeBook(resp)}
	for _, cl := range resp.GetLists() {
		m := map[string]bool{}
		for _, c := range cl.GetCodes() {
			m[c.GetCode()] = true
		}
		l.codes[cl.GetList()] = m
	}
	return l
}

// registryCodeLists reads the code lists from a real `yaosu dev`, logged in the way a
// newcomer is (login --dev finds the key through what dev recorded).
func registryCodeLists(t *testing.T) codeLists {
	t.Helper()
	s := startYaosuDev(t, nil)
	isolate(t)
	t.Setenv(envConfigDir, s.configDir)
	t.Setenv(envAddr, s.addr)
	t.Chdir(t.TempDir())
	mustRun(t, "login", "--dev", "--org", testOrg, "--role", "registrar")
	resp := &catalogv1.ListCodeListsResponse{}
	require.NoError(t, protojson.Unmarshal([]byte(mustRun(t, "codes", "list", "-o", "json")), resp))
	lists := newCodeLists(resp)
	for _, l := range []string{"refusal_reason", "sector", "category", "update_cycle"} {
		require.NotEmpty(t, lists.codes[l], "code list %s", l)
	}
	return lists
}

// checkExample parses args (an invocation of yaosuctl) as the command tree would and checks
// the code-like values it names.
func checkExample(args []string, lists codeLists) error {
	root := newRootCmd(func(string) string { return "" })
	c, rest, err := root.Find(args[1:])
	if err != nil {
		return err
	}
	if err := c.ParseFlags(rest); err != nil {
		return err
	}
	if c.HasSubCommands() && (len(c.Flags().Args()) > 0 || !c.Runnable()) {
		return fmt.Errorf("names no command under %q (left: %v)", c.CommandPath(), c.Flags().Args())
	}
	if err := c.ValidateArgs(c.Flags().Args()); err != nil {
		return err
	}
	if err := c.ValidateRequiredFlags(); err != nil {
		return err
	}
	return checkCodes(c, lists)
}

// checkCodes checks the values of the flags that name codes or enum values, each the way
// its command reads it: --code is sent as it is; --purpose and the scenarios' --sector map
// labels to codes in the CLI; asset list's --sector and --category are sent as they are.
func checkCodes(c *cobra.Command, lists codeLists) error {
	values := func(name string) []string {
		f := c.Flags().Lookup(name)
		if f == nil || !f.Changed {
			return nil
		}
		if sv, ok := f.Value.(interface{ GetSlice() []string }); ok {
			return splitValues(sv.GetSlice())
		}
		return splitValues([]string{f.Value.String()})
	}
	rawSector := c.Parent() != nil && c.Parent().Name() == "asset"
	check := func(flag, list string, mapped func(string) string) error {
		for _, v := range values(flag) {
			if !lists.has(list, mapped(v)) {
				return fmt.Errorf("--%s: %q is not in code list %s", flag, v, list)
			}
		}
		return nil
	}
	same := func(s string) string { return s }
	purpose := func(s string) string { return firstOf(parsePurposes([]string{s})) }
	sector := purpose
	if rawSector {
		sector = same
	}
	for _, err := range []error{
		check("code", "refusal_reason", same),
		check("purpose", "sector", purpose),
		check("sector", "sector", sector),
		check("category", "category", same),
	} {
		if err != nil {
			return err
		}
	}
	for _, v := range values("form") {
		if _, err := parseRightsEnum("--form", rightsv1.DeliveryForm(0).Descriptor(), v); err != nil {
			return err
		}
	}
	if f := c.Flags().Lookup("set"); f != nil && f.Changed {
		sv, _ := f.Value.(interface{ GetSlice() []string })
		for _, a := range sv.GetSlice() {
			if err := checkSet(a, lists); err != nil {
				return err
			}
		}
	}
	return nil
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// checkSet checks one --set PATH=VALUE: the path exists, enums parse, codes are listed.
func checkSet(assignment string, lists codeLists) error {
	path, value, ok := strings.Cut(assignment, "=")
	if !ok {
		return fmt.Errorf("--set %q: not PATH=VALUE", assignment)
	}
	fds, err := resolvePath((&catalogv1.Asset{}).ProtoReflect().Descriptor(), path)
	if err != nil {
		return fmt.Errorf("--set: %w", err)
	}
	leaf := fds[len(fds)-1]
	if col := columnByPath(canonicalPath(fds)); col != nil && col.codeList != "" {
		for _, v := range splitList(value, ",，;；") {
			if _, err := lists.book.resolve(col.codeList, v); err != nil {
				return fmt.Errorf("--set %s: %w", path, err)
			}
		}
		return nil
	}
	if leaf.Kind() == protoreflect.EnumKind && value != "" {
		if _, err := parseEnum(leaf.Enum(), value); err != nil {
			return fmt.Errorf("--set %s: %w", path, err)
		}
	}
	// Everything else parses as the command itself parses it.
	return setValue((&catalogv1.Asset{}).ProtoReflect(), fds, value)
}
