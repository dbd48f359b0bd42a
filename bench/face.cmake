# Face quality measurements (identity, landmark error, jitter) for docs/bench-face.md.
# It decodes the test video with OpenCV's videoio, which the library itself does not use.
find_package(OpenCV REQUIRED COMPONENTS videoio)
add_executable(face_quality ${CMAKE_CURRENT_SOURCE_DIR}/face_quality.cpp)
target_link_libraries(face_quality PRIVATE keyswap_lib opencv_videoio)
# Development-set scorer for the face swap (docs/face-devset.md, bench/face_devset.sh).
add_executable(face_devset ${CMAKE_CURRENT_SOURCE_DIR}/face_devset.cpp)
target_link_libraries(face_devset PRIVATE keyswap_lib)
# The mean frontal landmark layout behind face/head_pose.cpp's generic head (a one-off tool).
add_executable(mean_face ${CMAKE_CURRENT_SOURCE_DIR}/mean_face.cpp)
target_link_libraries(mean_face PRIVATE keyswap_lib)
