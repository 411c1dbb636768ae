//! The runner's command line: exit statuses, messages, options.
