# Face quality measurements (identity, landmark error, jitter) for docs/bench-face.md.
# It decodes the test video with OpenCV's videoio, which the library itself does not use.
find_package(OpenCV REQUIRED COMPONENTS videoio)
add_executable(face_quality ${CMAKE_CURRENT_SOURCE_DIR}/face_quality.cpp)
target_link_libraries(face_quality PRIVATE keyswap_lib opencv_videoio)
