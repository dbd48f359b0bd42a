# keyer_vs_ffmpeg: quality and speed of the keyer against FFmpeg chromakey, in one run.
# Included from bench/CMakeLists.txt; shares the synthetic scenes with the tests.
add_executable(keyer_vs_ffmpeg ${CMAKE_CURRENT_LIST_DIR}/keyer_vs_ffmpeg.cpp)
target_include_directories(keyer_vs_ffmpeg PRIVATE ${CMAKE_SOURCE_DIR}/tests)
target_compile_options(keyer_vs_ffmpeg PRIVATE ${KEYSWAP_WARNINGS})
target_compile_definitions(keyer_vs_ffmpeg PRIVATE KEYSWAP_ASSETS="${CMAKE_SOURCE_DIR}/../shared/assets")
target_link_libraries(keyer_vs_ffmpeg PRIVATE keyswap_lib)
