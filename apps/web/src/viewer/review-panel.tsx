'use client';

import { useMutation } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { formatTime } from '@/components/format';
import { ReviewStudyMutation, StudyQuery } from '@/graphql/documents';
import type { StudyQuery as Result, Verdict } from '@/graphql/generated/graphql';

type Reviews = NonNullable<Result['study']>['reviews'];

export function ReviewPanel({ studyId, reviews }: { studyId: string; reviews: Reviews }) {
  const [review, { loading }] = useMutation(ReviewStudyMutation, {
    refetchQueries: [{ query: StudyQuery, variables: { id: studyId } }],
    awaitRefetchQueries: true,
  });
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const verdict = form.get('verdict');
    if (verdict !== 'AGREE' && verdict !== 'DISAGREE') {
      setMessage({ ok: false, text: 'Choose agree or disagree.' });
      return;
    }
    try {
      await review({
        variables: { id: studyId, verdict: verdict as Verdict, comment: String(form.get('comment') ?? '') || null },
      });
      formEl.reset();
      setMessage({ ok: true, text: 'Review recorded.' });
    } catch (e) {
      setMessage({ ok: false, text: e instanceof Error ? e.message : String(e) });
    }
  };
  return (
    <section className="panel" aria-labelledby="review-heading">
      <h2 id="review-heading">Review</h2>
      <form onSubmit={onSubmit} className="stack-form">
        <fieldset>
          <legend>Do you agree with the model's triage flag (suspected bleed or no bleed)?</legend>
          <label>
            <input type="radio" name="verdict" value="AGREE" /> Agree
          </label>
          <label>
            <input type="radio" name="verdict" value="DISAGREE" /> Disagree
          </label>
        </fieldset>
        <label htmlFor="review-comment">Comment (optional)</label>
        <textarea id="review-comment" name="comment" rows={3} maxLength={4000} />
        <button type="submit" disabled={loading}>
          {loading ? 'Saving…' : 'Submit review'}
        </button>
        {message ? (
          <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'ok' : 'error'}>
            {message.text}
          </p>
        ) : null}
      </form>
      <h3>Earlier reviews</h3>
      {reviews.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <ul className="reviews">
          {reviews.map((r) => (
            <li key={r.id}>
              <strong>{r.verdict === 'AGREE' ? 'Agree' : 'Disagree'}</strong> · {r.reviewer.name || r.reviewer.email} ·{' '}
              {formatTime(r.createdAt)}
              {r.comment ? <p>{r.comment}</p> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
