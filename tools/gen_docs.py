#!/usr/bin/python3
"""Generates runbook(1) and the bash and zsh completions from the built binary's --help.

One source: the help text the binary prints (`runbook --help`, `runbook COMMAND --help`
for every command and built-in runbook). The man page and the completions are derived
from it at build time, so neither can drift from what `--help` says; nobody edits a
second copy of an option list. Run by the build (cmake/install.cmake):

    gen_docs.py RUNBOOK RUNBOOKS_DIR OUT_DIR VERSION

RUNBOOKS_DIR is the built-in runbooks (runbooks/*.lua): each is a command. Writes
OUT_DIR/runbook.1, OUT_DIR/runbook.bash and OUT_DIR/_runbook. Step ids are not baked in:
the completions ask `runbook list` when they need them (about 50 ms), so a team's own
steps (--plugins, RUNBOOK_PATH) complete too.
"""

import os
import re
import subprocess
import sys

DESCRIPTION = (
    'runbook diagnoses failing AWS Lambda functions. Every triage step of the Lambda '
    'troubleshooting field guide runs at once against the account, read-only, and the '
    'report says what is wrong, why, with the evidence (numbers, ARNs, log lines) and '
    'the exact command that fixes it. Steps are Lua scripts a team can read, override '
    'or extend; a fleet of functions across regions and accounts is triaged within the '
    'AWS API quotas.')
FILES = [
    ('BINDIR/../share/runbook/plugins, BINDIR/../share/runbook/runbooks',
     'the built-in steps, modules and runbooks, found beside the binary'),
    ('./.runbook/', "a project's own steps and runbooks, run once trusted (runbook trust)"),
    ('$XDG_STATE_HOME/runbook/journal.jsonl', 'the journal of changes made by fixes'),
    ('BINDIR/runbook-demo', 'triages the bundled demo world on a local fake AWS server'),
]
ENVIRONMENT = [
    ('RUNBOOK_PATH', 'plugin directories searched after --plugins (DIR:DIR)'),
    ('RUNBOOK_DATA_DIR', 'the built-in plugins and runbooks, when not beside the binary'),
    ('AWS_REGION, AWS_DEFAULT_REGION, AWS_PROFILE',
     'as for the AWS CLI; credentials come from the usual AWS chain'),
    ('NO_COLOR', 'no colour in text reports'),
]
# Option values that are step ids (completed from `runbook list`) and option values that
# are files or directories, by the placeholder the help text gives them.
STEP_OPTIONS = {'--steps', '--skip', '--fix'}
FILE_PLACEHOLDERS = re.compile(r'FILE|^F$|REPORT|\.json')
DIR_PLACEHOLDERS = re.compile(r'^DIR')
OPTION_LINE = re.compile(
    r'^ {2,}(?:(-\w), )?(--[a-z][\w-]*)(=\S+)?(?:, (-\w))?(?: (\S+))?(?: {2,}(.*))?$')
USAGE_OPTION = re.compile(r'(--[a-z][\w-]*)(?:[ =]([^\s\[\]|]+(?:\|[^\s\[\]|]+)*))?')


def run_help(runbook, args, required=True):
    """The help text `runbook ARGS` prints. A runbook without usable --help is left out
    with a warning (a new runbook must not break the build); the core's must work."""
    env = dict(os.environ, ASAN_OPTIONS='detect_leaks=0', NO_COLOR='1')
    proc = subprocess.run([runbook] + args, capture_output=True, text=True, env=env,
                          timeout=60)
    text = proc.stdout or proc.stderr  # `runbook call --help` answers as a usage error
    if proc.returncode in (0, 2) and text.startswith('usage:'):
        return text
    problem = 'gen_docs: `runbook %s` gave no usage text (exit %d): %s' % (
        ' '.join(args), proc.returncode, (proc.stderr.strip().splitlines() or [''])[0])
    if required:
        raise SystemExit(problem)
    print(problem + '; left out of runbook(1) and the completions', file=sys.stderr)
    return None


def usage_lines(text):
    lines = []
    for line in text.splitlines():
        if not line.strip():
            break
        lines.append(line)
    return lines


def core_commands(core_help):
    """The words after `runbook [options]` in the core's usage lines: call, test, ..."""
    words = []
    for line in usage_lines(core_help):
        for m in re.finditer(r'(?:^usage: |^\s+| {3})runbook (?:\[options\] )?([a-z][a-z.-]*)',
                             line):
            if m.group(1) not in words:
                words.append(m.group(1))
    return words


class Option:
    def __init__(self, name):
        self.name, self.value, self.choices, self.help = name, None, [], ''
        self.attached = False  # the value only as --name=VALUE (--fix=STEP,...)

    @property
    def kind(self):
        """'steps', 'file', 'dir', 'choice', 'value' or None (a flag)."""
        if self.attached:
            return None
        if self.name in STEP_OPTIONS and self.value:
            return 'steps'
        if self.choices:
            return 'choice'
        if self.value and FILE_PLACEHOLDERS.search(self.value):
            return 'file'
        if self.value and DIR_PLACEHOLDERS.search(self.value):
            return 'dir'
        return 'value' if self.value else None


def parse_options(text, from_usage=True):
    """Every option a help text names, in order: from its option lines (with their
    descriptions) and, with from_usage, from the [--option VALUE] brackets of its usage
    lines (the core's usage lines name its commands' options, not its own)."""
    options = {}

    def get(name):
        return options.setdefault(name, Option(name))

    for line in usage_lines(text) if from_usage else []:
        for m in USAGE_OPTION.finditer(line):
            opt, value = get(m.group(1)), m.group(2)
            if value and value != '...' and not value.startswith('-'):
                parts = value.split('|')
                if len(parts) > 1 and all(re.fullmatch(r'[a-z0-9.]+', p) for p in parts):
                    opt.choices = parts
                opt.value = opt.value or value
    desc = None
    for line in text.splitlines():
        m = OPTION_LINE.match(line)
        if m:
            opt = get(m.group(2))
            if not opt.value and m.group(3) and not m.group(5):
                opt.attached = True
            opt.value = opt.value or (m.group(3) or '')[1:] or m.group(5)
            opt.help = (m.group(6) or '').strip()
            desc = opt
        elif desc and line.startswith(' ' * 8) and line.strip():
            desc.help += ' ' + line.strip()
        else:
            desc = None
    return list(options.values())


# ---- the man page ----

def roff_text(s):
    s = s.replace('\\', '\\e').replace('-', '\\-')
    return '\\&' + s if s[:1] in ('.', "'") else s


def synopsis(usage):
    """Usage lines without their 'usage: ' and its indent."""
    return [u[7:] if u.startswith('usage: ') or u.startswith(' ' * 7) else u
            for u in usage]


def roff_help(text):
    """A help text as man source: usage lines verbatim, option lines as tagged
    paragraphs, other paragraphs as text."""
    out, lines = [], text.splitlines()
    usage = usage_lines(text) if text.startswith('usage:') else []
    if usage:
        out += ['.nf'] + [roff_text(u) for u in synopsis(usage)] + ['.fi']
    i = len(usage)
    para = []

    def flush():
        if para:
            out.extend(['.PP', roff_text(' '.join(para))])
            para.clear()

    while i < len(lines):
        line = lines[i]
        m = OPTION_LINE.match(line)
        if m and m.group(6) is not None:
            flush()
            tag = line.strip()[:len(line.strip()) - len(m.group(6))].strip()
            body = [m.group(6).strip()]
            while i + 1 < len(lines) and lines[i + 1].startswith(' ' * 8) \
                    and lines[i + 1].strip() and not OPTION_LINE.match(lines[i + 1]):
                i += 1
                body.append(lines[i].strip())
            out += ['.TP', '.B ' + roff_text(tag), roff_text(' '.join(body))]
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return out


def man_page(version, core_help, commands):
    core_body = core_help.split('\n\n', 1)[1] if '\n\n' in core_help else ''
    options_part, _, exit_part = core_body.partition('\nexit codes:')
    out = ['.\\" Generated by tools/gen_docs.py from `runbook --help`; do not edit.',
           '.TH RUNBOOK 1 "" "runbook %s" "User Commands"' % version,
           '.SH NAME', 'runbook \\- diagnose failing AWS Lambda functions',
           '.SH SYNOPSIS', '.nf']
    out += [roff_text(u) for u in synopsis(usage_lines(core_help))]
    out += ['.fi', '.SH DESCRIPTION', roff_text(DESCRIPTION), '.PP',
            roff_text('runbook triage.lua FUNCTION triages one function; '
                      'runbook triage.lua \u2013\u2013all a fleet. Try runbook-demo for a '
                      'triage of a bundled fake account.').replace('\u2013\u2013', '\\-\\-'),
            '.SH OPTIONS']
    out += roff_help(options_part.strip('\n'))
    out += ['.SH COMMANDS']
    for name, text in commands:
        out += ['.SS ' + roff_text('runbook ' + name)] + roff_help(text)
    out += ['.SH EXIT STATUS', roff_text(' '.join(('exit codes:' + exit_part).split()))]
    out += ['.SH ENVIRONMENT']
    for name, text in ENVIRONMENT:
        out += ['.TP', '.B ' + roff_text(name), roff_text(text)]
    out += ['.SH FILES']
    for name, text in FILES:
        out += ['.TP', '.I ' + roff_text(name), roff_text(text)]
    out += ['.SH SEE ALSO', roff_text('aws(1); docs/ in the source: architecture.md, '
                                      'writing-steps.md, report-schema.md, fleet.md, '
                                      'install.md')]
    return '\n'.join(out) + '\n'


# ---- completions ----

def value_patterns(core_opts, commands, command_fmt, core_fmt):
    """(case pattern over "$cmd $prev", option) for every option that takes a value:
    each command's own first (its --format is not list's), then the core's."""
    for name, opts in commands:
        for o in opts:
            if o.kind:
                yield '|'.join(command_fmt % (n, o.name) for n in (name, name + '.lua')), o
    for o in core_opts:
        if o.kind:
            yield core_fmt % o.name, o


def sh_words(words):
    return ' '.join(words)


def bash_completion(core_opts, commands):
    value_opts = [o.name for o in core_opts if o.value]
    cases = []
    for name, opts in commands:
        cases.append('    %s|%s.lua) opts="%s" ;;' % (name, name,
                                              sh_words(o.name for o in opts)))
    value_cases = []
    for pattern, o in value_patterns(core_opts, commands, '"%s %s"', '*" %s"'):
        if o.kind == 'choice':
            action = 'COMPREPLY=($(compgen -W "%s" -- "$cur"))' % sh_words(o.choices)
        elif o.kind == 'steps':
            action = ('COMPREPLY=($(compgen -P "${cur%"${cur##*,}"}" '
                      '-W "$(_runbook_steps)" -- "${cur##*,}"))')
        elif o.kind == 'file':
            action = 'COMPREPLY=($(compgen -f -- "$cur"))'
        elif o.kind == 'dir':
            action = 'COMPREPLY=($(compgen -d -- "$cur"))'
        else:
            action = 'COMPREPLY=()'
        value_cases.append('    %s) %s; return ;;' % (pattern, action))
    return BASH_TEMPLATE % {
        'core_opts': sh_words(o.name for o in core_opts),
        'core_value_opts': '|'.join(value_opts),
        'commands': sh_words(n for n, _ in commands),
        'command_cases': '\n'.join(cases),
        'value_cases': '\n'.join(value_cases),
    }


BASH_TEMPLATE = r'''# bash completion for runbook. Generated by tools/gen_docs.py from
# `runbook --help` and each command's --help; do not edit. Step ids come from
# `runbook list` when needed.

_runbook_steps() {
  local plugins=() i
  for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
    [[ ${COMP_WORDS[i]} == --plugins ]] && plugins+=(--plugins "${COMP_WORDS[i + 1]}")
  done
  "${COMP_WORDS[0]}" "${plugins[@]}" list 2>/dev/null |
    awk 'NR > 1 && !($1 ~ /^[0-9]+$/ && $2 ~ /^steps?$/) { print $1 }'
}

_runbook() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local cmd="" i opts
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
    %(core_value_opts)s) ((i++)) ;;
    -*) ;;
    *) cmd=${COMP_WORDS[i]}; break ;;
    esac
  done
  case "$cmd $prev" in
%(value_cases)s
  esac
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "%(core_opts)s" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "%(commands)s" -- "$cur") $(compgen -f -X '!*.lua' -- "$cur"))
    fi
    return
  fi
  case $cmd in
%(command_cases)s
    *) opts="" ;;
  esac
  if [[ $cmd == show && $cur != -* ]]; then
    COMPREPLY=($(compgen -W "$(_runbook_steps)" -- "$cur"))
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts %(core_opts)s" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _runbook runbook
'''


def zsh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def zsh_spec(o):
    text = re.sub(r'\s+', ' ', o.help or (o.value or ''))[:70]
    return zsh_quote('%s:%s' % (o.name, text.replace(':', '\\:')))


def zsh_completion(core_opts, commands):
    value_opts = [o.name for o in core_opts if o.value]
    cases = []
    for name, opts in commands:
        cases.append('    (%s|%s.lua) opts=(%s) ;;' % (name, name,
                                                ' '.join(zsh_spec(o) for o in opts)))
    value_cases = []
    for pattern, o in value_patterns(core_opts, commands, '"%s %s"', '*" %s"'):
        if o.kind == 'choice':
            action = 'compadd -- %s' % ' '.join(o.choices)
        elif o.kind == 'steps':
            action = 'compadd -- $(_runbook_steps)'
        elif o.kind == 'file':
            action = '_files'
        elif o.kind == 'dir':
            action = '_files -/'
        else:
            action = ':'
        value_cases.append('    (%s) %s; return ;;' % (pattern, action))
    return ZSH_TEMPLATE % {
        'core_specs': ' '.join(zsh_spec(o) for o in core_opts),
        'core_value_opts': '|'.join(value_opts),
        'commands': ' '.join(zsh_quote(n) for n, _ in commands),
        'command_cases': '\n'.join(cases),
        'value_cases': '\n'.join(value_cases),
    }


ZSH_TEMPLATE = r'''#compdef runbook
# zsh completion for runbook. Generated by tools/gen_docs.py from `runbook --help` and
# each command's --help; do not edit. Step ids come from `runbook list` when needed.

_runbook_steps() {
  local -a plugins
  local i
  for ((i = 2; i < CURRENT; i++)); do
    [[ ${words[i]} == --plugins ]] && plugins+=(--plugins "${words[i + 1]}")
  done
  ${words[1]} "${plugins[@]}" list 2>/dev/null |
    awk 'NR > 1 && !($1 ~ /^[0-9]+$/ && $2 ~ /^steps?$/) { print $1 }'
}

_runbook() {
  local -a core_opts opts commands
  local cmd="" i prev=${words[CURRENT - 1]}
  core_opts=(%(core_specs)s)
  commands=(%(commands)s)
  for ((i = 2; i < CURRENT; i++)); do
    case ${words[i]} in
    (%(core_value_opts)s) ((i++)) ;;
    (-*) ;;
    (*) cmd=${words[i]}; break ;;
    esac
  done
  case "$cmd $prev" in
%(value_cases)s
  esac
  if [[ -z $cmd ]]; then
    if [[ $PREFIX == -* ]]; then
      _describe -t options 'runbook option' core_opts
    else
      _describe -t commands 'runbook command' commands
      _files -g '*.lua'
    fi
    return
  fi
  case $cmd in
%(command_cases)s
    (*) opts=() ;;
  esac
  if [[ $cmd == show && $PREFIX != -* ]]; then
    compadd -- $(_runbook_steps)
  elif [[ $PREFIX == -* ]]; then
    _describe -t options "runbook $cmd option" opts -- core_opts
  else
    _files
  fi
}

if [[ ${funcstack[1]} == _runbook ]]; then
  _runbook "$@"
else
  compdef _runbook runbook
fi
'''


def main(runbook, runbooks_dir, out_dir, version):
    core_help = run_help(runbook, ['--help'])
    core = core_commands(core_help)
    names = list(core)
    for f in sorted(os.listdir(runbooks_dir)):
        bare = f[:-4]
        if f.endswith('.lua') and bare not in names and f not in names:
            names.append(bare)
    commands = []
    for name in names:
        if name == 'untrust':
            continue  # its help is trust's
        text = run_help(runbook, [name, '--help'], required=name in core)
        if text:
            commands.append((name, text))
    core_opts = parse_options(core_help, from_usage=False)
    parsed = [(n, parse_options(t)) for n, t in commands]
    parsed.append(('untrust', []))
    os.makedirs(out_dir, exist_ok=True)
    outputs = {'runbook.1': man_page(version, core_help, commands),
               'runbook.bash': bash_completion(core_opts, parsed),
               '_runbook': zsh_completion(core_opts, parsed)}
    for name, text in outputs.items():
        with open(os.path.join(out_dir, name), 'w', encoding='utf-8') as fh:
            fh.write(text)
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 5:
        sys.exit('usage: gen_docs.py RUNBOOK RUNBOOKS_DIR OUT_DIR VERSION')
    sys.exit(main(*sys.argv[1:5]))
