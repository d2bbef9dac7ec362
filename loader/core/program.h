// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// One lifecycle for every dupgre tc program: open, configure, load (its
// maps pinned under its state directory), attach or replace in place,
// pin, detach, forget. A program describes itself with a ProgramSpec and
// DUPGRE_SKELETON; what it records and how it configures itself is its
// own (loader/programs/).
#pragma once

#include <bpf/libbpf.h>

#include <optional>
#include <string>
#include <vector>

#include "core/bpf_util.h"
#include "core/counters.h"
#include "core/error.h"
#include "core/tc.h"

namespace dupgre {

struct ProgramSpec {
	const char *name;  // "clone", in messages and metric names
	TcFilter filter;
	// Maps pinned under the state directory: created by the first load,
	// reused by every later one (a replaced program keeps its counters).
	std::vector<const char *> maps;
	const CounterSchema &counters;
};

// bpftool's skeleton functions for one program, so one template serves all.
template <typename Skel> struct Skeleton;
#define DUPGRE_SKELETON(skel)                                               \
	template <> struct Skeleton<skel> {                                 \
		static skel *open() { return skel##__open(); }              \
		static int load(skel *s) { return skel##__load(s); }        \
		static void destroy(skel *s) { skel##__destroy(s); }        \
	}

// The parts that do not depend on the skeleton's type.
namespace lifecycle {
void pin_maps(bpf_object *obj, const ProgramSpec &spec, const std::string &dir);
// Whether map name, pinned under dir, has the layout this build's object
// gives it (type, key and value size, entries); true when nothing is pinned.
// An older dupgre-ctl's pins may not: the caller makes them anew.
bool pin_fits(bpf_object *obj, const char *name, const std::string &dir);
bpf_program *sole_program(bpf_object *obj, const ProgramSpec &spec);
// Attaches at spec.filter on ifindex (core/tc.h: tc_attach), replacing
// atomically the program that runs there; returns the program id. Unless it replaced the program's own
// earlier load (replacing), the rollback takes it off again.
__u32 attach(const ProgramSpec &spec, bpf_program *prog, int ifindex, Rollback &rollback, bool replacing);
void pin_program(bpf_program *prog, const std::string &path);
}  // namespace lifecycle

template <typename Skel> class TcProgram {
public:
	// Opens the skeleton; configure it through -> before load().
	TcProgram(const ProgramSpec &spec, std::string dir)
		: spec_(spec), dir_(std::move(dir)), skel_(Skeleton<Skel>::open(), Skeleton<Skel>::destroy)
	{
		if (!skel_)
			throw Error(std::string("opening the ") + spec_.name + " program: " + strerror_text(-errno));
	}
	Skel *operator->() const { return skel_.get(); }

	// Creates (or reuses) the pinned maps and loads the program; with
	// maps_only, no program is loaded, only the maps are created.
	void load(bool maps_only = false)
	{
		lifecycle::pin_maps(skel_->obj, spec_, dir_);
		if (maps_only)
			bpf_program__set_autoload(prog(), false);
		check(Skeleton<Skel>::load(skel_.get()),
		      std::string(maps_only ? "creating the maps of the " : "loading the ") + spec_.name + " program");
	}
	__u32 attach(int ifindex, Rollback &rollback, bool replacing = false)
	{
		return lifecycle::attach(spec_, prog(), ifindex, rollback, replacing);
	}
	// Whether every pinned map has this build's layout (see lifecycle::pin_fits).
	bool pins_fit() const
	{
		for (const char *name : spec_.maps)
			if (!lifecycle::pin_fits(skel_->obj, name, dir_))
				return false;
		return true;
	}
	bool pin_fits(const char *name) const { return lifecycle::pin_fits(skel_->obj, name, dir_); }
	// Pins the program as <dir>/prog, replacing an earlier pin.
	void pin() { lifecycle::pin_program(prog(), dir_ + "/prog"); }
	int fd() { return bpf_program__fd(prog()); }

private:
	bpf_program *prog() { return lifecycle::sole_program(skel_->obj, spec_); }

	const ProgramSpec &spec_;
	std::string dir_;
	SkelPtr<Skel> skel_;
};

// How device, if it still is the instance at ifindex, runs prog_id at the
// spec's hook: by a tcx link or a tc filter; nullopt where it does not.
std::optional<AttachMode> running_mode(const ProgramSpec &spec, const std::string &device, __u32 ifindex,
				       __u32 prog_id);
inline bool runs_here(const ProgramSpec &spec, const std::string &device, __u32 ifindex, __u32 prog_id)
{
	return running_mode(spec, device, ifindex, prog_id).has_value();
}
// Takes the program off device if it still is the instance at ifindex;
// else only forgets what dupgre recorded of the instance that went away
// (its clsact record, its defunct tcx links).
void detach(const ProgramSpec &spec, const std::string &device, __u32 ifindex, __u32 prog_id);
// Removes the pinned maps and program under dir, and dir while empty.
void forget(const ProgramSpec &spec, const std::string &dir);

}  // namespace dupgre
