import type { Resolvers } from '../generated/resolvers.js';

export const reviewResolvers: Resolvers = {
  Mutation: {
    reviewStudy: (_parent, { id, verdict, comment }, { services }) => services.reviews.review(id, verdict, comment),
  },
  Review: {
    reviewer: (review, _args, { services }) => services.reviews.reviewerOf(review),
  },
};
