// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/program.h"

#include <unistd.h>

#include "core/bpffs.h"
#include "core/netdev.h"

namespace dupgre {

namespace lifecycle {

void pin_maps(bpf_object *obj, const ProgramSpec &spec, const std::string &dir)
{
	make_dirs(dir);
	for (const char *name : spec.maps) {
		bpf_map *map = bpf_object__find_map_by_name(obj, name);
		if (!map)
			throw Error(std::string("the ") + spec.name + " program has no map " + name);
		check(bpf_map__set_pin_path(map, (dir + "/" + name).c_str()), "setting pin path");
	}
}

bool pin_fits(bpf_object *obj, const char *name, const std::string &dir)
{
	bpf_map *map = bpf_object__find_map_by_name(obj, name);
	Fd pinned(bpf_obj_get((dir + "/" + name).c_str()));
	if (!map || !pinned)
		return true;
	bpf_map_info info{};
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(pinned.get(), &info, &len))
		return false;
	return info.type == static_cast<__u32>(bpf_map__type(map)) && info.key_size == bpf_map__key_size(map) &&
	       info.value_size == bpf_map__value_size(map) && info.max_entries == bpf_map__max_entries(map);
}

bpf_program *sole_program(bpf_object *obj, const ProgramSpec &spec)
{
	bpf_program *prog = bpf_object__next_program(obj, nullptr);
	if (!prog || bpf_object__next_program(obj, prog))
		throw Error(std::string("the ") + spec.name + " object must hold one program");
	return prog;
}

__u32 attach(const ProgramSpec &spec, bpf_program *prog, int ifindex, Rollback &rollback, bool replacing)
{
	int fd = bpf_program__fd(prog);
	__u32 id = prog_id(fd);
	tc_attach(ifindex, spec.filter, fd);
	if (!replacing)
		rollback.add([filter = spec.filter, ifindex, id] { tc_detach(ifindex, filter, id); });
	return id;
}

void pin_program(bpf_program *prog, const std::string &path)
{
	unlink(path.c_str());
	check(bpf_obj_pin(bpf_program__fd(prog), path.c_str()), "pinning " + display_path(path));
}

}  // namespace lifecycle

static bool same_instance(const std::string &device, __u32 ifindex)
{
	auto dev = find_device(device);
	return dev && dev->ifindex == static_cast<int>(ifindex);
}

std::optional<AttachMode> running_mode(const ProgramSpec &spec, const std::string &device, __u32 ifindex,
				       __u32 prog_id)
{
	if (!same_instance(device, ifindex))
		return std::nullopt;
	auto running = tc_query(static_cast<int>(ifindex), spec.filter);
	if (!running || running->prog_id != prog_id)
		return std::nullopt;
	return running->mode;
}

void detach(const ProgramSpec &spec, const std::string &device, __u32 ifindex, __u32 prog_id)
{
	if (same_instance(device, ifindex))
		tc_detach(static_cast<int>(ifindex), spec.filter, prog_id);
	else
		forget_device(static_cast<int>(ifindex));  // gone with its device
}

void forget(const ProgramSpec &spec, const std::string &dir)
{
	unlink((dir + "/prog").c_str());
	for (const char *name : spec.maps)
		unlink((dir + "/" + name).c_str());
	remove_empty_dirs(dir);
}

}  // namespace dupgre
