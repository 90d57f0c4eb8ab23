;;; Run after Emacs has loaded the README's setup as the user's init.el: opens a broken file and
;;; reports what the user would see, as JSON, for tests/editors/test_readme_setups.py.
;;; FTLS_FILE: the file; FTLS_LINE: the 0-based line of the broken example; FTLS_EXPECT: how
;;; many diagnostics the CLI finds; FTLS_OUT: where the report goes.
(require 'json)
(require 'cl-lib)

(defun check-wait (predicate)
  "Let Emacs run, as between keystrokes, until PREDICATE holds or 30 s pass."
  (let ((deadline (+ (float-time) 30)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (run-hooks 'post-command-hook)   ; what each command does: eglot-ensure connects on the first
      ;; --batch never goes idle: run the idle timers (eglot's didChange, flymake's re-check).
      (mapc #'timer-event-handler (copy-sequence timer-idle-list))
      (accept-process-output nil 0.05))
    (funcall predicate)))

(defun check-diagnostics ()
  (cl-loop for d in (flymake-diagnostics)
           for lsp = (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data d)))
           collect (list (plist-get lsp :code) (line-number-at-pos (flymake-diagnostic-beg d)))))

(let* ((line (string-to-number (getenv "FTLS_LINE")))
       (expect (string-to-number (getenv "FTLS_EXPECT")))
       (report (list (cons 'emacs emacs-version))))
  (find-file (getenv "FTLS_FILE"))
  (push (cons 'mode (symbol-name major-mode)) report)
  (push (cons 'managed (check-wait (lambda () (bound-and-true-p eglot--managed-mode)))) report)
  (unless (cdr (assq 'managed report))  ; eglot never started: nothing more to see
    (with-temp-file (getenv "FTLS_OUT") (insert (json-encode report)))
    (kill-emacs 0))
  (check-wait (lambda () (>= (length (check-diagnostics)) expect)))
  (push (cons 'diagnostics (vconcat (mapcar #'vconcat (check-diagnostics)))) report)
  (goto-char (point-min))
  (forward-line line)
  (forward-char 1)
  (let ((hover (jsonrpc-request (eglot--current-server-or-lose) :textDocument/hover
                                (eglot--TextDocumentPositionParams))))
    (push (cons 'hover (plist-get (plist-get hover :contents) :value)) report))
  ;; eglot's own command, asked for the line's actions (as M-x eglot-code-actions would).
  (let ((actions (eglot-code-actions (line-beginning-position) (line-end-position))))
    (push (cons 'actions (vconcat (mapcar (lambda (a) (list (cons 'title (plist-get a :title))
                                                              (cons 'kind (plist-get a :kind))))
                                          actions)))
          report)
    (let ((fix (cl-find-if (lambda (a) (and (equal (plist-get a :kind) "quickfix")
                                            (string-match-p "assistant" (plist-get a :title))))
                           actions)))
      (when fix
        (eglot--apply-workspace-edit (plist-get fix :edit))
        (push (cons 'applied (plist-get fix :title)) report))))
  (push (cons 'fixed (check-wait (lambda () (not (cl-find "unknown-role" (check-diagnostics)
                                                           :key #'car :test #'equal)))))
        report)
  (with-temp-file (getenv "FTLS_OUT") (insert (json-encode report)))
  (eglot-shutdown (eglot--current-server-or-lose))
  (set-buffer-modified-p nil)
  (kill-emacs 0))
