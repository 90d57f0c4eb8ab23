;;; finetune-ls in Emacs 29+ (eglot built in) and Emacs 28 with eglot installed
;;; (Debian: apt install elpa-eglot; else M-x package-install RET eglot).
(define-derived-mode jsonl-mode prog-mode "JSONL"
  "JSON Lines, checked by finetune-ls.")
(add-to-list 'auto-mode-alist '("\\.jsonl\\'" . jsonl-mode))
(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               '(jsonl-mode "finetune-ls" "serve"
                 :initializationOptions (:model "gpt-4o-mini-2024-07-18"))))
(add-hook 'jsonl-mode-hook #'eglot-ensure)
