"""Face boxes from MediaPipe's detector and the aligned square crop the CNN reads."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ml.emotion.model import EXPRESSION_SIZE

# The framing of FER2013, which both CNNs were trained on, measured by running this
# detector on 1,500 training faces (upscaled, with a border): the box is 0.854 of the
# FER frame wide, and its centre sits 0.082 of the frame below the frame's centre.
CROP_MARGIN = 1 / 0.854
CROP_RAISE = 0.082
# Below this roll the crop is not rotated: the extra interpolation would cost more
# than the alignment gains.
MIN_ALIGN_DEGREES = 3.0


@dataclass(frozen=True)
class FaceDetection:
    """One detected face in pixel coordinates of the analysed image."""

    x: float
    y: float
    w: float
    h: float
    score: float
    # (6, 2) pixel keypoints in MediaPipe's order: right eye, left eye, nose tip,
    # mouth centre, right ear, left ear ("right" is the person's right).
    keypoints: np.ndarray

    @property
    def area(self) -> float:
        return max(0.0, self.w) * max(0.0, self.h)

    def centre(self, margin: float = CROP_MARGIN) -> tuple[float, float]:
        """The centre of the FER-framed crop around this box."""
        side = max(self.w, self.h, 1.0) * margin
        return self.x + self.w / 2.0, self.y + self.h / 2.0 - CROP_RAISE * side

    def prominence(self, width: int, height: int) -> float:
        """Area, discounted for distance from the image centre: the user beats a
        larger-looking face at the edge of the frame only when clearly bigger."""
        dx = (self.x + self.w / 2.0) / max(width, 1) - 0.5
        dy = (self.y + self.h / 2.0) / max(height, 1) - 0.5
        off_centre = math.hypot(dx, dy) / math.hypot(0.5, 0.5)
        return self.area * (1.0 - 0.3 * min(1.0, off_centre))

    def shifted(self, offset: float) -> FaceDetection:
        """The same face in an image whose origin moved by `offset` pixels on both axes."""
        return FaceDetection(
            self.x + offset, self.y + offset, self.w, self.h, self.score, self.keypoints + offset
        )

    def box(self, width: int, height: int) -> tuple[int, int, int, int] | None:
        """The box (x, y, w, h) in whole pixels clipped to the image, or None if empty."""
        x0 = max(0, round(self.x))
        y0 = max(0, round(self.y))
        x1 = min(width, round(self.x + self.w))
        y1 = min(height, round(self.y + self.h))
        if x1 <= x0 or y1 <= y0:
            return None
        return (x0, y0, x1 - x0, y1 - y0)

    def roll_degrees(self) -> float:
        """In-plane rotation of the eye line (positive: the person's left eye is lower)."""
        (rx, ry), (lx, ly) = self.keypoints[0], self.keypoints[1]
        return math.degrees(math.atan2(ly - ry, lx - rx))


def whole_image_face(width: int, height: int) -> FaceDetection:
    """The detection whose FER-framed crop is the whole image (for tight face crops)."""
    side = float(max(width, height))
    size = side / CROP_MARGIN
    cx, cy = width / 2.0, height / 2.0 + CROP_RAISE * side
    return FaceDetection(cx - size / 2, cy - size / 2, size, size, 0.0, np.zeros((6, 2), np.float32))


def detections_from_result(result, width: int, height: int) -> list[FaceDetection]:
    """Convert a MediaPipe face_detection result into FaceDetections, most prominent
    (large and central) first."""
    faces: list[FaceDetection] = []
    for detection in result.detections or ():
        location = detection.location_data
        box = location.relative_bounding_box
        keypoints = np.array(
            [(k.x * width, k.y * height) for k in location.relative_keypoints],
            np.float32,
        )
        if keypoints.shape != (6, 2):
            keypoints = np.zeros((6, 2), np.float32)
        face = FaceDetection(
            x=box.xmin * width,
            y=box.ymin * height,
            w=box.width * width,
            h=box.height * height,
            score=float(detection.score[0]) if detection.score else 0.0,
            keypoints=keypoints,
        )
        if face.box(width, height) is not None:  # a box wholly outside the frame is noise
            faces.append(face)
    faces.sort(key=lambda f: f.prominence(width, height), reverse=True)
    return faces


def crop_matrix(
    face: FaceDetection,
    *,
    size: int = EXPRESSION_SIZE,
    margin: float = CROP_MARGIN,
    align: bool = True,
) -> np.ndarray:
    """The 2x3 affine matrix mapping image pixels onto the size x size face crop.

    The crop is a square of side margin * max(w, h), raised by CROP_RAISE of its side
    above the box centre (FER framing shows the forehead), rotated so that the eyes are
    level when `align` is on and the roll exceeds MIN_ALIGN_DEGREES.
    """
    cx, cy = face.centre(margin)
    side = max(face.w, face.h, 1.0) * margin
    angle = face.roll_degrees() if align else 0.0
    if abs(angle) < MIN_ALIGN_DEGREES or abs(angle) > 60.0:  # >60: keypoints unreliable
        angle = 0.0
    matrix = cv2.getRotationMatrix2D((cx, cy), angle, size / side)
    matrix[0, 2] += size / 2.0 - cx
    matrix[1, 2] += size / 2.0 - cy
    return matrix


def crop_face(
    gray: np.ndarray,
    face: FaceDetection,
    *,
    size: int = EXPRESSION_SIZE,
    margin: float = CROP_MARGIN,
    align: bool = True,
) -> np.ndarray:
    """The aligned uint8 size x size grayscale crop of `face` out of `gray`.

    Parts of the crop beyond the image edge repeat the edge pixels (a face at the
    border still gets a full crop). Large faces are first shrunk with area averaging,
    since the affine warp alone would alias when it scales down more than 2x.
    """
    height, width = gray.shape[:2]
    matrix = crop_matrix(face, size=size, margin=margin, align=align)
    scale = math.hypot(matrix[0, 0], matrix[0, 1])
    if scale < 0.5:
        # Cut a generous square (covers any rotation) and area-shrink it to 2x the crop.
        cx, cy = face.centre(margin)
        half = max(face.w, face.h, 1.0) * margin * 0.75
        x0, y0 = math.floor(cx - half), math.floor(cy - half)
        x1, y1 = math.ceil(cx + half), math.ceil(cy + half)
        roi = gray[max(0, y0) : min(height, y1), max(0, x0) : min(width, x1)]
        pads = (max(0, -y0), max(0, y1 - height), max(0, -x0), max(0, x1 - width))
        if any(pads) and roi.size:
            roi = cv2.copyMakeBorder(roi, *pads, cv2.BORDER_REPLICATE)
        if roi.size == 0:
            return np.zeros((size, size), np.uint8)
        # Shrink to twice the crop's resolution; the warp then scales by about 0.5.
        target = (
            max(1, round(roi.shape[1] * 2.0 * scale)),
            max(1, round(roi.shape[0] * 2.0 * scale)),
        )
        small = cv2.resize(roi, target, interpolation=cv2.INTER_AREA)
        fx, fy = small.shape[1] / roi.shape[1], small.shape[0] / roi.shape[0]
        # Re-express the matrix in the shrunk ROI's coordinates: p_img = p_roi / f + (x0, y0).
        shift = np.array([[1.0 / fx, 0, x0], [0, 1.0 / fy, y0], [0, 0, 1.0]])
        matrix = matrix @ shift
        return cv2.warpAffine(
            small,
            matrix,
            (size, size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
    return cv2.warpAffine(
        gray,
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
