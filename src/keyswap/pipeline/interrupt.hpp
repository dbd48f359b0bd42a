#pragma once
// Ctrl-C handling: the first SIGINT/SIGTERM asks running streams to stop cleanly (they
// throw Error(Interrupted), so writers delete their temporary files); a second one exits.
namespace keyswap::pipeline {

void install_interrupt_handler();
bool interrupt_requested();
void request_interrupt();  // for tests and the web panel's stop button
void clear_interrupt();

}  // namespace keyswap::pipeline
