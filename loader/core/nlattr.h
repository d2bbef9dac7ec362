// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// libmnl's attribute walks for C++: its mnl_attr_for_each macros assign a
// void pointer, which C++ refuses, so walk with mnl_attr_parse and a lambda.
#pragma once

#include <libmnl/libmnl.h>

#include <type_traits>

namespace dupgre {

template <typename F>
void for_each_attr(const struct nlmsghdr *nlh, unsigned offset, F &&f)
{
	using Fn = std::remove_reference_t<F>;
	mnl_attr_parse(
		nlh, offset,
		[](const struct nlattr *a, void *data) {
			(*static_cast<Fn *>(data))(a);
			return MNL_CB_OK;
		},
		&f);
}

template <typename F>
void for_each_nested(const struct nlattr *nest, F &&f)
{
	using Fn = std::remove_reference_t<F>;
	mnl_attr_parse_nested(
		nest,
		[](const struct nlattr *a, void *data) {
			(*static_cast<Fn *>(data))(a);
			return MNL_CB_OK;
		},
		&f);
}

}  // namespace dupgre
