// LZ4 block compression (Debian liblz4-dev) for the timeline's spilled sorted runs.
#include <lz4.h>
