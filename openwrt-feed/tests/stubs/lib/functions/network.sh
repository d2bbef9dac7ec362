# Stub of OpenWrt's /lib/functions/network.sh. The real functions read
# `ubus call network.interface.<IFACE> status` (fields up, l3_device,
# device); here each interface is a directory $FAKE_NET/<IFACE> holding one
# file per field. As in the real ones: a field the status lacks (an unknown
# interface, or l3_device of an interface that is down) sets the variable
# empty and returns false.

__network_field() {
	local __v=
	[ -f "$FAKE_NET/$2/$3" ] && read -r __v < "$FAKE_NET/$2/$3"
	eval "$1=\$__v"
	[ -n "$__v" ]
}

# network_is_up <interface>
network_is_up() {
	local __up
	__network_field __up "$1" up && [ "$__up" -eq 1 ]
}

# network_get_device <variable> <interface>: layer 3 device
network_get_device() { __network_field "$1" "$2" l3_device; }

# network_get_physdev <variable> <interface>: layer 2 device
network_get_physdev() { __network_field "$1" "$2" device; }

network_flush_cache() { :; }
