complete --keep-order --exclusive --command iamctl --arguments "(IAMCTL_COMPLETE=fish iamctl -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
