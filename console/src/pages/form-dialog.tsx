// The one dialog the console's create and edit forms share: a form in a modal that checks what it
// can, sends the rest to the server, and shows the server's refusal where it belongs — each cause
// next to the field it names, what names no field (a stale version, an unreachable cluster) above
// the buttons.
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { Alert, Form, Modal } from 'antd';
import type { FormInstance } from 'antd';
import { placeCauses, type FieldPath } from '../form-causes.ts';
import { ApiError, errorText } from '../http.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import type { StatusCause } from '../model.ts';

/** What a {@link FormDialog} needs: its form, how to send it, and where refusals go. */
export interface FormDialogProps<V, R> {
  /** The form's name, which prefixes its fields' ids: dialogs on one page must differ. */
  readonly name: string;
  readonly open: boolean;
  readonly title: string;
  readonly okText: string;
  readonly width?: number;
  readonly form: FormInstance<V>;
  /** The values the form starts from each time it opens. */
  readonly initialValues: V;
  /** The test id of the alert that shows what no field shows. */
  readonly errorTestId: string;
  /** The form field a cause's path belongs to; undefined: the cause stands in the alert. */
  readonly place: (path: FieldPath, values: V) => FieldPath | undefined;
  /** Checks made before anything is sent, worded as the server's causes; any cause stops the send. */
  readonly check?: (values: V) => readonly StatusCause[];
  /** Sends the values; a rejection with an ApiError is shown, the dialog stays open. */
  readonly submit: (values: V) => Promise<R>;
  /** Called with the answer after a successful send (the form is reset first). */
  readonly onDone: (result: R) => void;
  readonly onClose: () => void;
  readonly children: ReactNode;
}

/**
 * A modal form. Each time it opens the form starts again from `initialValues`. On OK the form's
 * own rules run, then `check`, then `submit`; causes of a refusal (422, or 409 AlreadyExists,
 * which names the `name` field) are set on the fields `place` names, the first one scrolled to.
 */
export function FormDialog<V extends object, R>(props: FormDialogProps<V, R>) {
  const { name, open, title, okText, width, form, initialValues, errorTestId, place, check, submit, onDone, onClose, children } = props;
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<readonly string[]>([]);

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setError([]);
  }, [open, form]);

  function show(causes: readonly StatusCause[], message: string, values: V): void {
    const placed = placeCauses(causes, (path) => place(path, values));
    // Paths come from the server's causes, not from V's keys: the untyped form takes them.
    const fields: FormInstance = form;
    fields.setFields(placed.fields.map((f) => ({ name: [...f.name], errors: [...f.errors] })));
    if (placed.fields.length > 0) fields.scrollToField([...placed.fields[0].name]);
    setError(placed.rest.length > 0 ? placed.rest : placed.fields.length > 0 ? [] : [message]);
  }

  async function finish(values: V): Promise<void> {
    setError([]);
    const found = check?.(values) ?? [];
    if (found.length > 0) {
      show(found, '', values);
      return;
    }
    setBusy(true);
    try {
      const result = await submit(values);
      form.resetFields();
      onDone(result);
    } catch (err) {
      if (err instanceof ApiError) {
        const causes = err.causes.length === 0 && err.reason === 'AlreadyExists' ? [{ field: 'name', message: err.message }] : err.causes;
        show(causes, err.message, values);
      } else {
        setError([errorText(err)]);
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      open={open} title={title} okText={okText} cancelText={t('common.cancel')} width={width}
      confirmLoading={busy} onOk={() => form.submit()} onCancel={onClose} forceRender
    >
      <Form<V> name={name} form={form} layout="vertical" onFinish={finish} initialValues={initialValues}>
        {children}
        {error.length > 0 && (
          <Alert type="error" showIcon title={error.length === 1 ? error[0] : <ul style={{ margin: 0, paddingLeft: 16 }}>{error.map((e) => <li key={e}>{e}</li>)}</ul>} data-testid={errorTestId} />
        )}
      </Form>
    </Modal>
  );
}
