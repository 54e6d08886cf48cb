// The CPU emulator's kernel registry: each generated kernel translation unit registers its extern "C" kernels with
// their parameter types (taken from the function type), so cuLaunchKernel can unpack `void** kernelParams` exactly as
// the driver does (by each parameter's size) and check that pointer parameters point into device allocations.
#pragma once

#include <cstddef>
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace rwkv_emu
{
struct KernelEntry
{
    std::string file;
    std::string name;
    std::vector<size_t> sizes;    // bytes of each parameter
    std::vector<bool> is_pointer; // pointer parameters are checked against the allocation table
    std::function<void(void**)> invoke;
};

void register_kernels(const char* file, const char* source, std::vector<KernelEntry> kernels);
void register_header(const char* name, const char* source);

template <typename F, typename... A, size_t... I>
void invoke_with(F f, void** args, std::index_sequence<I...>)
{
    f(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(args[I])...);
}

template <typename... A>
KernelEntry make_kernel(const char* name, void (*f)(A...))
{
    KernelEntry e;
    e.name = name;
    e.sizes = { sizeof(A)... };
    e.is_pointer = { std::is_pointer<A>::value... };
    e.invoke = [f](void** args) { invoke_with<void (*)(A...), A...>(f, args, std::index_sequence_for<A...>{}); };
    return e;
}

struct Registrar
{
    Registrar(const char* file, const char* source, std::vector<KernelEntry> kernels)
    {
        register_kernels(file, source, std::move(kernels));
    }
};

struct HeaderRegistrar
{
    HeaderRegistrar(const char* name, const char* source) { register_header(name, source); }
};
} // namespace rwkv_emu
