// toml++'s implementation, compiled once into svdcore instead of linking
// Debian's libtomlplusplus.so: that library needs the shared libstdc++,
// whose loading and start-up were most of `svctl status`'s time (bench/run).
#define TOML_IMPLEMENTATION
#include "config/toml.h"
