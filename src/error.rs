//! Typed errors with the context a user needs: path, interface, frame number, byte offset.
