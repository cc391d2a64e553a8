//! Gemini client (see helper work).
