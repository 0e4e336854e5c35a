//! juliex: a work-stealing executor for futures (work in progress).
