# bash completion for svctl(1), the client of the svd process supervisor.
# Installed as share/bash-completion/completions/svctl; or: source svctl.bash
#
# Program names come from the running svd (`svctl status --json`); when svd
# is down nothing is offered for them, silently.

# The program names svd knows, one per line. The svctl that is being
# completed is asked, with the --config/--socket already on the line.
_svctl_programs() {
    local svctl=${COMP_WORDS[0]} i
    [[ $svctl == "~/"* ]] && svctl=$HOME/${svctl#"~/"}
    local -a global=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -c | --config | -s | --socket)
                global+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}")
                ((i++))
                ;;
            --config=* | --socket=*) global+=("${COMP_WORDS[i]}") ;;
            -*) ;;
            *) break ;;
        esac
    done
    local runner=()
    command -v timeout >/dev/null 2>&1 && runner=(timeout 2)
    # `status --json` prints each program's "name" four spaces in.
    "${runner[@]}" "$svctl" "${global[@]}" status --json 2>/dev/null </dev/null |
        sed -n 's/^    "name": "\([^"]*\)",\{0,1\}$/\1/p'
}

# Files (or, with -d, directories) matching the word, spaces and all.
_svctl_files() {
    local IFS=$'\n'
    COMPREPLY=($(compgen "${1:--f}" -- "$cur"))
    compopt -o filenames 2>/dev/null
}

_svctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local verbs="status start stop restart signal pid tail logs sockets reopen reread update reload shutdown version import export"
    local global_options="--config --socket --json --help --version"
    COMPREPLY=()

    # Values of options, wherever they are.
    case $prev in
        -c | --config | -s | --socket)
            _svctl_files -f
            return 0
            ;;
        -o | --out)
            _svctl_files -d
            return 0
            ;;
        -n | --lines | --prefix)
            return 0
            ;;
    esac

    # The verb: the first word that is neither an option nor an option's value.
    local i verb="" verb_index=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -c | --config | -s | --socket) ((i++)) ;;
            -*) ;;
            *)
                verb=${COMP_WORDS[i]}
                verb_index=$i
                break
                ;;
        esac
    done

    if [[ -z $verb ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$global_options" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
        fi
        return 0
    fi

    local position=$((COMP_CWORD - verb_index)) programs
    case $verb in
        status | pid)
            [[ $cur == -* ]] && { COMPREPLY=($(compgen -W "--json" -- "$cur")); return 0; }
            programs=$(_svctl_programs)
            COMPREPLY=($(compgen -W "$programs all" -- "$cur"))
            ;;
        start | update)
            [[ $cur == -* ]] && { COMPREPLY=($(compgen -W "--no-wait --json" -- "$cur")); return 0; }
            programs=$(_svctl_programs)
            COMPREPLY=($(compgen -W "$programs$([[ $verb == start ]] && echo ' all')" -- "$cur"))
            ;;
        stop | restart)
            [[ $cur == -* ]] && { COMPREPLY=($(compgen -W "--json" -- "$cur")); return 0; }
            programs=$(_svctl_programs)
            COMPREPLY=($(compgen -W "$programs all" -- "$cur"))
            ;;
        signal)
            if ((position == 1)); then
                COMPREPLY=($(compgen -W "TERM HUP INT QUIT KILL USR1 USR2 STOP CONT WINCH" -- "$cur"))
            else
                programs=$(_svctl_programs)
                COMPREPLY=($(compgen -W "$programs all" -- "$cur"))
            fi
            ;;
        tail | logs)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "-f --follow -n --lines --stderr" -- "$cur"))
            else
                programs=$(_svctl_programs)
                COMPREPLY=($(compgen -W "$programs all" -- "$cur"))
            fi
            ;;
        import)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--out --force --help" -- "$cur"))
            else
                _svctl_files -f
            fi
            ;;
        export)
            if ((position == 1)); then
                COMPREPLY=($(compgen -W "systemd" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "--out --prefix --force --help" -- "$cur"))
            fi
            ;;
        *)
            [[ $cur == -* ]] && COMPREPLY=($(compgen -W "--json" -- "$cur"))
            ;;
    esac
    return 0
}

complete -F _svctl svctl
