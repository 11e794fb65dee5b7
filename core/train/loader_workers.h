// Why: a GPU trains ViT-B/16 on thousands of images a second, more than two loader threads can
// crop (a few hundred images a second each on a server core), while on the CPU the model's step
// needs the cores a loader would take. So the number of loader threads follows the device
// unless the user gives it.
#pragma once

#include <cstdint>
#include <string>

namespace mae {

// 2 on the CPU; on a GPU, this machine's cores less one, shared by the `local_ranks` training
// here, from 2 to 16 (each thread holds a batch it builds: 16 of ViT-B/16's are 1.2 GiB).
int64_t default_loader_workers(const std::string& device, int64_t local_ranks);

}  // namespace mae
