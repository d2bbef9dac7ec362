# Stub of OpenWrt's /lib/functions.sh: the UCI shell API, as documented and
# as package/base-files/files/lib/functions.sh implements it. The one
# difference: config_load reads $UCI_CONFIG_DIR/<package> directly instead
# of `uci export` (the export format and the config file format are both
# `config TYPE 'NAME'` / `option KEY 'VALUE'` / `list KEY 'VALUE'` lines,
# which run as calls of the functions below).

NO_EXPORT=1
LIST_SEP=" "

# The real functions use `export -n` (busybox ash); plain assignments here,
# so that dash runs them too.
append() {
	local var="$1" value="$2" sep="${3:- }"
	eval "$var=\"\${$var:+\${$var}\${value:+\$sep}}\$value\""
}

config_cb() { return 0; }
option_cb() { return 0; }
list_cb() { return 0; }

config() {
	local cfgtype="$1" name="$2"
	CONFIG_NUM_SECTIONS=$((CONFIG_NUM_SECTIONS + 1))
	name="${name:-cfg$CONFIG_NUM_SECTIONS}"
	append CONFIG_SECTIONS "$name"
	CONFIG_SECTION="$name"
	config_set "$CONFIG_SECTION" TYPE "$cfgtype"
	config_cb "$cfgtype" "$name"
}

option() {
	local varname="$1"; shift
	config_set "$CONFIG_SECTION" "$varname" "$*"
	option_cb "$varname" "$*"
}

list() {
	local varname="$1"; shift
	local len
	config_get len "$CONFIG_SECTION" "${varname}_LENGTH" 0
	[ "$len" = 0 ] && append CONFIG_LIST_STATE "${CONFIG_SECTION}_${varname}"
	len=$((len + 1))
	config_set "$CONFIG_SECTION" "${varname}_ITEM$len" "$*"
	config_set "$CONFIG_SECTION" "${varname}_LENGTH" "$len"
	append "CONFIG_${CONFIG_SECTION}_${varname}" "$*" "$LIST_SEP"
	list_cb "$varname" "$*"
}

config_set() {
	eval "CONFIG_${1}_${2}=\$3"
}

# config_get <variable> <section> <option> [<default>]
# config_get <section> <option>
config_get() {
	case "$2${3:-$1}" in
	*[!A-Za-z0-9_]*) : ;;
	*)
		case "$3" in
		"") eval echo "\"\${CONFIG_${1}_${2}:-\${4}}\"" ;;
		*) eval "${1}=\${CONFIG_${2}_${3}:-\${4}}" ;;
		esac
		;;
	esac
}

get_bool() {
	local _tmp="$1"
	case "$_tmp" in
	1|on|true|yes|enabled) _tmp=1 ;;
	0|off|false|no|disabled) _tmp=0 ;;
	*) _tmp="$2" ;;
	esac
	echo -n "$_tmp"
}

config_get_bool() {
	local _tmp
	config_get _tmp "$2" "$3" "$4"
	_tmp="$(get_bool "$_tmp" "$4")"
	eval "$1=\$_tmp"
}

config_foreach() {
	local ___function="$1"; [ "$#" -ge 1 ] && shift
	local ___type="$1"; [ "$#" -ge 1 ] && shift
	local section cfgtype
	[ -z "$CONFIG_SECTIONS" ] && return 0
	for section in ${CONFIG_SECTIONS}; do
		config_get cfgtype "$section" TYPE
		[ -n "$___type" ] && [ "x$cfgtype" != "x$___type" ] && continue
		eval "$___function \"\$section\" \"\$@\""
	done
}

# uci_load: forget the previous package's sections and lists (not its
# option variables, like the real one), then read the new one.
config_load() {
	local VAR
	for VAR in $CONFIG_LIST_STATE; do
		eval "CONFIG_${VAR}="
		eval "CONFIG_${VAR}_LENGTH="
	done
	CONFIG_LIST_STATE= CONFIG_SECTIONS= CONFIG_NUM_SECTIONS=0 CONFIG_SECTION=
	[ -f "${UCI_CONFIG_DIR:-/etc/config}/$1" ] || return 1
	. "${UCI_CONFIG_DIR:-/etc/config}/$1"
}
