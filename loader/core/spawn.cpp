// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/spawn.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

extern char **environ;

namespace dupgre {

int run_tool(std::vector<std::string> args, std::string *out)
{
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	int pipefd[2] = {-1, -1};
	if (out && pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (out)
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int err = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	if (out) {
		close(pipefd[1]);
		char buf[4096];
		for (ssize_t n; !err && (n = read(pipefd[0], buf, sizeof(buf))) != 0;)
			if (n > 0)
				out->append(buf, static_cast<size_t>(n));
			else if (errno != EINTR)
				break;
		close(pipefd[0]);
	}
	if (err)
		return -1;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace dupgre
