// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/bpffs.h"

#include <dirent.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace dupgre {

static const char bpffs[] = "/sys/fs/bpf";

static bool is_bpffs(const std::string &path)
{
	struct statfs st;
	return statfs(path.c_str(), &st) == 0 && static_cast<unsigned long>(st.f_type) == BPF_FS_MAGIC;
}

static bool same_ns(const std::string &a, const std::string &b)
{
	struct stat sa, sb;
	return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static std::string proc(pid_t pid, const char *what)
{
	return "/proc/" + std::to_string(pid) + "/" + what;
}

static pid_t parent_of(pid_t pid)
{
	std::ifstream stat(proc(pid, "stat"));
	std::string line;
	std::getline(stat, line);
	// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
	size_t paren = line.rfind(')');
	if (paren == std::string::npos)
		return 0;
	std::istringstream rest(line.substr(paren + 1));
	std::string state;
	pid_t ppid = 0;
	rest >> state >> ppid;
	return ppid;
}

static std::string find_bpffs()
{
	if (is_bpffs(bpffs))
		return bpffs;
	for (pid_t pid = getppid(); pid > 0; pid = parent_of(pid)) {
		std::string via = proc(pid, "root") + bpffs;
		if (is_bpffs(via))
			return via;
		if (pid == 1)
			break;
	}
	// Mount one, unless this process has a mount namespace of its own
	// (`ip netns exec`), where the mount would vanish with it.
	if (!same_ns("/proc/self/ns/mnt", proc(getppid(), "ns/mnt")) &&
	    path_exists(proc(getppid(), "ns/mnt")))
		throw Error("no bpffs at /sys/fs/bpf; mount it in the host's mount namespace: "
			    "mount -t bpf bpf /sys/fs/bpf");
	if (mount("bpf", bpffs, "bpf", 0, "mode=0700") < 0)
		throw Error(std::string("no bpffs at /sys/fs/bpf and mounting one failed: ") +
			    strerror(errno));
	return bpffs;
}

static const std::string &host_bpffs()
{
	static const std::string path = find_bpffs();
	return path;
}

// "" in the host's network namespace, else "netns/NAME" with NAME as
// `ip netns` knows it, or the namespace's inode for an unnamed one (when
// PID 1's namespace is readable to tell the host's apart).
static std::string netns_scope()
{
	struct stat self;

	if (stat("/proc/self/ns/net", &self) < 0)
		throw Error(std::string("cannot identify the network namespace: ") + strerror(errno));
	if (DIR *dir = opendir("/run/netns")) {
		std::string found;
		while (struct dirent *e = readdir(dir)) {
			struct stat st;
			std::string path = std::string("/run/netns/") + e->d_name;
			if (e->d_name[0] != '.' && stat(path.c_str(), &st) == 0 &&
			    st.st_dev == self.st_dev && st.st_ino == self.st_ino) {
				found = e->d_name;
				break;
			}
		}
		closedir(dir);
		if (!found.empty())
			return "netns/" + found;
	}
	if (path_exists("/proc/1/ns/net") && !same_ns("/proc/self/ns/net", "/proc/1/ns/net"))
		return "netns/ino-" + std::to_string(self.st_ino);
	return "";
}

static std::string dupgre_root()
{
	return host_bpffs() + "/dupgre";
}

std::string state_root()
{
	std::string scope = netns_scope();
	return scope.empty() ? dupgre_root() : dupgre_root() + "/" + scope;
}

std::string display_path(const std::string &path)
{
	// "/proc/PID/root/..." -> "/...".
	static const std::string proc_dir = "/proc/", root_dir = "/root/";
	if (path.compare(0, proc_dir.size(), proc_dir) != 0)
		return path;
	size_t digits = path.find_first_not_of("0123456789", proc_dir.size());
	if (digits == proc_dir.size() || digits == std::string::npos ||
	    path.compare(digits, root_dir.size(), root_dir) != 0)
		return path;
	return path.substr(digits + root_dir.size() - 1);
}

bool path_exists(const std::string &path)
{
	struct stat st;
	return stat(path.c_str(), &st) == 0;
}

void make_dirs(const std::string &path)
{
	for (size_t pos = 1; pos != std::string::npos;) {
		pos = path.find('/', pos + 1);
		std::string part = path.substr(0, pos);
		if (mkdir(part.c_str(), 0700) < 0 && errno != EEXIST)
			throw Error("cannot create " + display_path(part) + ": " + strerror(errno));
	}
}

void remove_empty_dirs(const std::string &path)
{
	const std::string stop = host_bpffs();
	std::string dir = path;

	while (dir.size() > stop.size() && dir.compare(0, stop.size(), stop) == 0) {
		if (rmdir(dir.c_str()) < 0 && errno != ENOENT)
			return;  // not empty: neither are its parents
		dir = dir.substr(0, dir.rfind('/'));
	}
}

}  // namespace dupgre
