'use client';

import { useQuery } from '@apollo/client/react';
import { ActiveModelQuery } from '@/graphql/documents';
import { type CardFacts, readCard } from './model-card';

/** What the product says about a model, taken only from its card. */
export function ModelStatusNote({ card, name, version }: { card: CardFacts; name: string; version: string }) {
  return (
    <p className={card.notForClinicalUse ? 'notice notice-warn' : 'notice'} role="note">
      Model {name} {version}: <strong>{card.statusLabel}</strong>.{' '}
      {card.notForClinicalUse ? 'Not for clinical use: its outputs are not diagnoses. ' : ''}
      {card.trainingData ? `Training data: ${card.trainingData}` : ''}
    </p>
  );
}

/** The active model's status, shown on every signed-in page. */
export function ActiveModelNotice() {
  const { data, loading, error } = useQuery(ActiveModelQuery);
  if (loading && !data) return <p className="notice">Loading the active model…</p>;
  if (error) return <p className="notice notice-warn">Could not load the active model: {error.message}</p>;
  const model = data?.activeModel;
  if (!model)
    return (
      <p className="notice notice-warn" role="note">
        No model is active: studies are stored but not analyzed. Not for clinical use.
      </p>
    );
  return <ModelStatusNote card={readCard(model.card)} name={model.name} version={model.version} />;
}
