#pragma once
// Tables over the generic head's frontal plane.
//
// What this represents: a grid over the plane the generic head (head_pose.hpp) is drawn on, in
// eye distances (x to the right, y down, the eyes' midpoint at 0), one cell per `step`. The
// head's depth and each source photo's atlas (reprojection.hpp) are such tables: rasterised
// from the mesh's triangles, the cells outside them filled from the nearest inside, and read
// back bilinearly.
// Thread safety: pure functions and values.
#include <algorithm>
#include <opencv2/core.hpp>

namespace keyswap::face {

struct ModelPlane {
    float x0, y0, step;  // the first cell's model point, and the cell size
    int cols, rows;
    cv::Size size() const { return {cols, rows}; }
    cv::Point2f cell(cv::Point2f m) const { return {(m.x - x0) / step, (m.y - y0) / step}; }
    cv::Point2f model(int x, int y) const { return {x0 + x * step, y0 + y * step}; }
};

// The value of `table` (T = float for CV_32F, cv::Vec2f for CV_32FC2; the plane's size) at model
// point `m`, bilinear, clamped to the plane.
template <class T>
T sample(const cv::Mat& table, const ModelPlane& plane, cv::Point2f m) {
    const cv::Point2f g = plane.cell(m);
    const float fx = std::clamp(g.x, 0.0f, plane.cols - 1.001f), fy = std::clamp(g.y, 0.0f, plane.rows - 1.001f);
    const int c = static_cast<int>(fx), r = static_cast<int>(fy);
    const float ax = fx - c, ay = fy - r;
    const T* r0 = table.ptr<T>(r);
    const T* r1 = table.ptr<T>(r + 1);
    const T top = r0[c] + ax * (r0[c + 1] - r0[c]), bot = r1[c] + ax * (r1[c + 1] - r1[c]);
    return top + ay * (bot - top);
}

// Each cell of `table` where `missing` (CV_8U, the table's size) is non-zero takes the value of
// the nearest cell where it is zero. Nothing changes when no cell or every cell is missing.
void fill_from_nearest(cv::Mat& table, const cv::Mat& missing);

}  // namespace keyswap::face
